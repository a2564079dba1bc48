-- v1 (the first release): ref.wilayah, ref.dataset, audit.load_log.
-- Released: never edit; add the next migration instead.
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS fact;
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS ref.wilayah (
    kode_kemendagri VARCHAR PRIMARY KEY, kode_bps VARCHAR, nama VARCHAR NOT NULL, tingkat VARCHAR NOT NULL,
    kode_induk VARCHAR, luas_km2 DOUBLE PRECISION, penduduk_laki BIGINT, penduduk_perempuan BIGINT,
    penduduk_total BIGINT
);

CREATE TABLE IF NOT EXISTS ref.dataset (
    id VARCHAR PRIMARY KEY, opd VARCHAR, judul VARCHAR, deskripsi VARCHAR, variabel VARCHAR,
    tingkat_wilayah VARCHAR, konsep VARCHAR, definisi VARCHAR, satuan VARCHAR, ukuran VARCHAR,
    klasifikasi_penyajian VARCHAR, jadwal_pemutakhiran VARCHAR, produsen_data VARCHAR, klasifikasi_akses VARCHAR,
    penanggung_jawab VARCHAR, referensi_waktu VARCHAR, dimensi_smart_city VARCHAR, tabel_fakta VARCHAR,
    metadata_json VARCHAR
);

CREATE TABLE IF NOT EXISTS audit.load_log (
    run_id VARCHAR NOT NULL, load_id VARCHAR, dataset VARCHAR NOT NULL, status VARCHAR NOT NULL,
    hasil_validasi VARCHAR, sumber_file VARCHAR, sumber_sha256 VARCHAR, baris_dibaca INTEGER,
    baris_dimuat INTEGER, baris_ditolak INTEGER, periode VARCHAR, mulai TIMESTAMP WITH TIME ZONE,
    selesai TIMESTAMP WITH TIME ZONE, data_docs VARCHAR, lake VARCHAR, karantina VARCHAR, pesan TEXT
);
