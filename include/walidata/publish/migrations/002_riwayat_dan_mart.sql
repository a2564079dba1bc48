-- v2: history of revised figures, ref.opd and ref.periode, the mart and pribadi schemas.
-- Released: never edit. The runner then fills ref.periode and turns each fact table into
-- <name>__riwayat (all versions, with validity) and a view <name> (current rows): data moves, in Python.
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS pribadi;

CREATE TABLE IF NOT EXISTS ref.opd (kode VARCHAR PRIMARY KEY, nama VARCHAR NOT NULL);

CREATE TABLE IF NOT EXISTS ref.periode (
    periode VARCHAR PRIMARY KEY, jenis VARCHAR NOT NULL, tahun INTEGER NOT NULL, semester INTEGER,
    triwulan INTEGER, bulan INTEGER, mulai DATE NOT NULL, selesai DATE NOT NULL
);

ALTER TABLE audit.load_log ADD COLUMN baris_berubah INTEGER;
