-- Staging: one input of an indicator (a variable of one catalog dataset) as one figure per region and period,
-- with how complete it is. A level is built from the one below only when all of it is there: a kecamatan
-- from all its desa/kelurahan, a kabupaten/kota from all its kecamatan, a year from all its 12 months; a figure
-- left empty (BPS "..." or "x") makes its region incomplete. The runner gives an indicator's SQL only the
-- rows with lengkap = 1; the others explain, in the OPD's terms, why a value is missing.
--
-- Placeholders (filled by walidata.serve.indikator.hitung with checked, quoted names and literals only):
--   {{fakta}}     the dataset's figures in force, fact."<opd>__<name>"
--   {{variabel}}  the variable, a string literal
--   {{saring}}    conditions on breakdown columns, each after AND (or nothing): the sum is over the others
--   {{jenis}}     the kind of period computed, 'tahun' or 'bulan' (a year of a monthly dataset sums its months)
--
-- Output: kode_wilayah, tingkat (kecamatan, kabupaten), periode, tahun, nilai, lengkap (1/0),
--         ada and harus (parts present and expected), bagian (what the parts are), load_id (comma-separated).
WITH baris AS (
    SELECT f.kode_wilayah, f.periode AS periode_sumber, f.nilai, f.load_id, p.jenis AS jenis_sumber,
           CASE WHEN {{jenis}} = 'tahun' THEN CAST(p.tahun AS VARCHAR) ELSE f.periode END AS periode
    FROM {{fakta}} f
    JOIN ref.periode p ON p.periode = f.periode
    WHERE f.variabel = {{variabel}} {{saring}}
      AND (p.jenis = {{jenis}} OR ({{jenis}} = 'tahun' AND p.jenis = 'bulan'))
),
sumber AS (  -- one figure per region as published (desa, kecamatan or kabupaten) and period computed
    SELECT kode_wilayah, periode, SUM(nilai) AS nilai,
           CASE WHEN COUNT(DISTINCT periode_sumber)
                     = MAX(CASE WHEN jenis_sumber = 'bulan' AND {{jenis}} = 'tahun' THEN 12 ELSE 1 END)
                 AND COUNT(nilai) = COUNT(*) THEN 1 ELSE 0 END AS lengkap,
           string_agg(DISTINCT load_id, ',') AS load_id
    FROM baris
    GROUP BY kode_wilayah, periode
),
desa_per_kecamatan AS (
    SELECT kode_induk, COUNT(*) AS jumlah FROM ref.wilayah WHERE tingkat IN ('desa', 'kelurahan') GROUP BY kode_induk
),
kecamatan_per_kabupaten AS (
    SELECT kode_induk, COUNT(*) AS jumlah FROM ref.wilayah WHERE tingkat = 'kecamatan' GROUP BY kode_induk
),
kecamatan AS (
    SELECT substr(s.kode_wilayah, 1, 8) AS kode_wilayah, s.periode, SUM(s.nilai) AS nilai,
           SUM(s.lengkap) AS ada, MAX(d.jumlah) AS harus, 'desa/kelurahan' AS bagian,
           string_agg(s.load_id, ',') AS load_id
    FROM sumber s
    LEFT JOIN desa_per_kecamatan d ON d.kode_induk = substr(s.kode_wilayah, 1, 8)
    WHERE length(s.kode_wilayah) = 13
    GROUP BY substr(s.kode_wilayah, 1, 8), s.periode
    UNION ALL
    SELECT kode_wilayah, periode, nilai, lengkap, 1, 'angka', load_id FROM sumber WHERE length(kode_wilayah) = 8
),
kabupaten AS (
    SELECT substr(k.kode_wilayah, 1, 5) AS kode_wilayah, k.periode, SUM(k.nilai) AS nilai,
           SUM(CASE WHEN k.ada = k.harus THEN 1 ELSE 0 END) AS ada, MAX(n.jumlah) AS harus, 'kecamatan' AS bagian,
           string_agg(k.load_id, ',') AS load_id
    FROM kecamatan k
    LEFT JOIN kecamatan_per_kabupaten n ON n.kode_induk = substr(k.kode_wilayah, 1, 5)
    GROUP BY substr(k.kode_wilayah, 1, 5), k.periode
    UNION ALL
    SELECT kode_wilayah, periode, nilai, lengkap, 1, 'angka', load_id FROM sumber WHERE length(kode_wilayah) = 5
)
SELECT kode_wilayah, 'kecamatan' AS tingkat, periode, CAST(substr(periode, 1, 4) AS INTEGER) AS tahun, nilai,
       CASE WHEN ada = harus THEN 1 ELSE 0 END AS lengkap, ada, harus, bagian, load_id
FROM kecamatan
UNION ALL
SELECT kode_wilayah, 'kabupaten', periode, CAST(substr(periode, 1, 4) AS INTEGER), nilai,
       CASE WHEN ada = harus THEN 1 ELSE 0 END, ada, harus, bagian, load_id
FROM kabupaten
