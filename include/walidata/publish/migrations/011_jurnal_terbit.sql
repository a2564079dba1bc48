-- v11: the publish journal. Each publish writes, in the same warehouse transaction as the figures, what the lake's
-- clean zone must hold for every unit it publishes (the file's sha256 and row count); the next run and
-- `walidata pulihkan` make the lake agree with it after any crash, and a restore checks each partition against it.
-- Runs are ordered by the database (a sequence), never by the workers' clocks. Released: never edit.
CREATE SEQUENCE audit.urutan_muat;
ALTER TABLE audit.load_log ADD COLUMN urutan BIGINT;
COMMENT ON COLUMN audit.load_log.urutan IS 'Urutan muat dari basis data (sequence audit.urutan_muat): muatan yang lebih baru selalu bernomor lebih besar, apa pun jam pekerjanya';
CREATE TABLE audit.jurnal_terbit (
    dataset VARCHAR NOT NULL,
    wilayah VARCHAR NOT NULL,
    periode VARCHAR NOT NULL,
    berkas VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    baris BIGINT NOT NULL,
    load_id VARCHAR,
    run_id VARCHAR,
    urutan BIGINT,
    dicatat TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (dataset, wilayah, periode)
);
COMMENT ON TABLE audit.jurnal_terbit IS 'Jurnal terbit: isi zona clean lake yang sah per unit (dataset, wilayah, periode), ditulis dalam transaksi yang sama dengan angkanya';
COMMENT ON COLUMN audit.jurnal_terbit.sha256 IS 'sha256 berkas Parquet partisi (clean/dataset=…/wilayah=…/periode=…/part-0.parquet)';
COMMENT ON COLUMN audit.jurnal_terbit.baris IS 'Jumlah angka berlaku dalam partisi';
