-- Timbulan sampah per kapita: timbulan setahun (ton) × 1.000 / penduduk = kg per jiwa per tahun, kabupaten.
SELECT t.kode_wilayah, t.periode, 1000.0 * t.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('timbulan') }} t
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = t.kode_wilayah AND p.periode = t.periode
WHERE t.tingkat = 'kabupaten'
