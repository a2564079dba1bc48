-- One dataset's part of fact.observasi (the current figures of every dataset in one long table); the parts
-- are joined with UNION ALL into the view `CREATE VIEW fact.observasi AS <part> UNION ALL <part> ...`.
--
-- Placeholders (filled by walidata.publish.schema, only from names checked by warehouse.ident()):
--   {{dataset}}  the dataset id as a string literal, '<opd>.<name>' (both parts checked identifiers)
--   {{rincian}}  the breakdowns as one text, 'dimensi=' || "dimensi" joined by || ';' || (or '' without any)
--   {{history}}  the history table's name, "<opd>__<name>__riwayat"
SELECT {{dataset}} AS dataset, variabel, kode_wilayah, periode, {{rincian}} AS rincian,
       nilai, satuan, status, load_id, berlaku_mulai
FROM fact.{{history}}
WHERE berlaku_sampai IS NULL
