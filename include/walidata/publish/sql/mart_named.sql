-- mart.<opd>__<name>: the figures in force of one dataset with the names of their region, parent region and
-- period, for analysts.
--
-- Placeholders (filled by walidata.publish.schema, only with names checked and quoted by warehouse.ident()):
--   {{view}}             the view's name, "<opd>__<name>"
--   {{history}}          the history table's name, "<opd>__<name>__riwayat"
--   {{rincian_columns}}  the dataset's breakdown columns, each after a comma: , f."jenis_kelamin" (or nothing)
DROP VIEW IF EXISTS mart.{{view}};
CREATE VIEW mart.{{view}} AS
SELECT f.variabel, f.kode_wilayah, w.nama AS nama_wilayah, w.tingkat AS tingkat_wilayah,
       w.kode_bps, k.nama AS nama_induk, f.periode, p.jenis AS jenis_periode, p.tahun
       {{rincian_columns}},
       f.nilai, f.satuan, f.status, f.berlaku_mulai AS terbit_pada, f.load_id
FROM fact.{{history}} f
LEFT JOIN ref.wilayah w ON w.kode_kemendagri = f.kode_wilayah
LEFT JOIN ref.wilayah k ON k.kode_kemendagri = w.kode_induk
LEFT JOIN ref.periode p ON p.periode = f.periode
WHERE f.berlaku_sampai IS NULL;
