-- fact.<opd>__<name>: the figures in force of one dataset (its history table without closed versions).
--
-- Placeholders (filled by walidata.publish.schema, only with names checked and quoted by warehouse.ident()):
--   {{view}}     the view's name, "<opd>__<name>"
--   {{history}}  the history table's name, "<opd>__<name>__riwayat"
--   {{columns}}  the history table's columns but berlaku_sampai, quoted, in order: "variabel", "kode_wilayah", ...
DROP VIEW IF EXISTS fact.{{view}};
CREATE VIEW fact.{{view}} AS
SELECT {{columns}}
FROM fact.{{history}}
WHERE berlaku_sampai IS NULL;
