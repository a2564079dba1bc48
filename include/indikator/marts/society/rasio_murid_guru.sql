-- Rasio murid-guru: murid / guru (jumlah semua jenjang), per kabupaten dan kecamatan, per tahun.
SELECT m.kode_wilayah, m.periode, 1.0 * m.nilai / NULLIF(g.nilai, 0) AS nilai
FROM {{ masukan('murid') }} m
JOIN {{ masukan('guru') }} g ON g.kode_wilayah = m.kode_wilayah AND g.periode = m.periode
