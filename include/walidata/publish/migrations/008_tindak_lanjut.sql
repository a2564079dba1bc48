-- v8: the Walidata's follow-up list. audit.tindak_lanjut holds, per day the list is made, every dataset whose
-- latest period in the warehouse is older than its update schedule allows (or that was never published).
-- Released: never edit.
CREATE TABLE IF NOT EXISTS audit.tindak_lanjut (
    tanggal DATE NOT NULL, dataset VARCHAR NOT NULL, opd VARCHAR NOT NULL, produsen_data VARCHAR,
    jadwal_pemutakhiran VARCHAR NOT NULL, periode_terakhir VARCHAR, terlambat_sejak DATE, hari_terlambat INTEGER,
    umpan_balik_terakhir VARCHAR, PRIMARY KEY (tanggal, dataset)
);

COMMENT ON TABLE audit.tindak_lanjut IS 'Daftar tindak lanjut Walidata: dataset OPD yang terlambat menurut jadwal pemutakhirannya, per hari';
COMMENT ON COLUMN audit.tindak_lanjut.tanggal IS 'Tanggal daftar dibuat (WIB)';
COMMENT ON COLUMN audit.tindak_lanjut.periode_terakhir IS 'Periode terakhir yang terbit di gudang data (kosong: belum pernah terbit)';
COMMENT ON COLUMN audit.tindak_lanjut.terlambat_sejak IS 'Tanggal periode berikutnya seharusnya sudah terbit: akhir periode terakhir ditambah batas jadwal';
COMMENT ON COLUMN audit.tindak_lanjut.hari_terlambat IS 'Jumlah hari sejak terlambat_sejak sampai tanggal';
COMMENT ON COLUMN audit.tindak_lanjut.umpan_balik_terakhir IS 'Berkas umpan balik terakhir untuk OPD tentang dataset ini (zona umpan_balik lake)';
