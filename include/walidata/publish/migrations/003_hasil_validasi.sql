-- v3: audit.hasil_validasi, every check of every run: the evidence of the Walidata's examination.
-- Released: never edit.
CREATE TABLE IF NOT EXISTS audit.hasil_validasi (
    run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, pemeriksaan VARCHAR NOT NULL, kolom VARCHAR,
    tingkat VARCHAR NOT NULL, sukses BOOLEAN NOT NULL, jumlah_gagal INTEGER, contoh TEXT,
    diperiksa_pada TIMESTAMP WITH TIME ZONE NOT NULL
);
