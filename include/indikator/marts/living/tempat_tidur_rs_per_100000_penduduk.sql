-- Tempat tidur RS per 100.000 penduduk: tempat tidur / penduduk × 100.000, kabupaten, per tahun.
SELECT t.kode_wilayah, t.periode, 100000.0 * t.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('tempat_tidur') }} t
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = t.kode_wilayah AND p.periode = t.periode
WHERE t.tingkat = 'kabupaten'
