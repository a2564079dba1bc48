-- Staging of a sparse input (`jarang: true`): an event log, where a region with no event in a period has no
-- row. A period counts as reported for a kabupaten/kota when the dataset has rows there in it (a year: rows in
-- each of its 12 months); within a reported period every kecamatan without a row has zero. A period not
-- reported is missing, never zero. A figure left empty makes its region incomplete.
--
-- Placeholders and output: as in masukan.sql.
WITH semua AS (  -- every row of the dataset, whatever the variable: what was reported at all
    SELECT f.kode_wilayah, f.periode AS periode_sumber, p.jenis AS jenis_sumber, f.load_id,
           CASE WHEN {{jenis}} = 'tahun' THEN CAST(p.tahun AS VARCHAR) ELSE f.periode END AS periode
    FROM {{fakta}} f
    JOIN ref.periode p ON p.periode = f.periode
    WHERE p.jenis = {{jenis}} OR ({{jenis}} = 'tahun' AND p.jenis = 'bulan')
),
cakupan AS (  -- the periods each kabupaten/kota reported, the months in them, and the loads that reported them
    SELECT substr(kode_wilayah, 1, 5) AS kabupaten, periode, COUNT(DISTINCT periode_sumber) AS ada,
           MAX(CASE WHEN jenis_sumber = 'bulan' AND {{jenis}} = 'tahun' THEN 12 ELSE 1 END) AS harus,
           string_agg(DISTINCT load_id, ',') AS load_id
    FROM semua
    GROUP BY substr(kode_wilayah, 1, 5), periode
),
baris AS (
    SELECT f.kode_wilayah, f.nilai, f.load_id,
           CASE WHEN {{jenis}} = 'tahun' THEN CAST(p.tahun AS VARCHAR) ELSE f.periode END AS periode
    FROM {{fakta}} f
    JOIN ref.periode p ON p.periode = f.periode
    WHERE f.variabel = {{variabel}} {{saring}}
      AND (p.jenis = {{jenis}} OR ({{jenis}} = 'tahun' AND p.jenis = 'bulan'))
),
kecamatan AS (
    SELECT w.kode_kemendagri AS kode_wilayah, c.periode, COALESCE(SUM(b.nilai), 0) AS nilai,
           c.ada, c.harus, SUM(CASE WHEN b.kode_wilayah IS NOT NULL AND b.nilai IS NULL THEN 1 ELSE 0 END) AS kosong,
           c.load_id
    FROM cakupan c
    JOIN ref.wilayah w ON w.kode_induk = c.kabupaten AND w.tingkat = 'kecamatan'
    LEFT JOIN baris b ON substr(b.kode_wilayah, 1, 8) = w.kode_kemendagri AND b.periode = c.periode
    GROUP BY w.kode_kemendagri, c.periode, c.ada, c.harus, c.load_id
),
kabupaten AS (
    SELECT c.kabupaten AS kode_wilayah, c.periode, COALESCE(SUM(b.nilai), 0) AS nilai, c.ada, c.harus,
           SUM(CASE WHEN b.kode_wilayah IS NOT NULL AND b.nilai IS NULL THEN 1 ELSE 0 END) AS kosong, c.load_id
    FROM cakupan c
    LEFT JOIN baris b ON substr(b.kode_wilayah, 1, 5) = c.kabupaten AND b.periode = c.periode
    GROUP BY c.kabupaten, c.periode, c.ada, c.harus, c.load_id
)
SELECT kode_wilayah, 'kecamatan' AS tingkat, periode, CAST(substr(periode, 1, 4) AS INTEGER) AS tahun, nilai,
       CASE WHEN ada = harus AND kosong = 0 THEN 1 ELSE 0 END AS lengkap, ada, harus,
       CASE WHEN kosong > 0 THEN 'angka' ELSE 'bulan' END AS bagian, load_id
FROM kecamatan
UNION ALL
SELECT kode_wilayah, 'kabupaten', periode, CAST(substr(periode, 1, 4) AS INTEGER), nilai,
       CASE WHEN ada = harus AND kosong = 0 THEN 1 ELSE 0 END, ada, harus,
       CASE WHEN kosong > 0 THEN 'angka' ELSE 'bulan' END, load_id
FROM kabupaten
