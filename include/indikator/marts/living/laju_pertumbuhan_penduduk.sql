-- Laju pertumbuhan penduduk: (P_t / P_{t-1} − 1) × 100, dari dua tahun yang berurutan.
SELECT t.kode_wilayah, t.periode, 100.0 * (t.nilai / NULLIF(s.nilai, 0) - 1) AS nilai
FROM {{ masukan('penduduk') }} t
JOIN {{ masukan('penduduk') }} s ON s.kode_wilayah = t.kode_wilayah AND s.tahun = t.tahun - 1
