-- Sampah terkelola: terkelola / timbulan × 100, kabupaten, per bulan dan per tahun (tahun: jumlah 12 bulan).
SELECT k.kode_wilayah, k.periode, 100.0 * k.nilai / NULLIF(t.nilai, 0) AS nilai
FROM {{ masukan('terkelola') }} k
JOIN {{ masukan('timbulan') }} t ON t.kode_wilayah = k.kode_wilayah AND t.periode = k.periode
WHERE k.tingkat = 'kabupaten'
