-- Kunjungan wisatawan per 1.000 penduduk: kunjungan setahun (jumlah 12 bulan) / penduduk × 1.000, kabupaten.
SELECT k.kode_wilayah, k.periode, 1000.0 * k.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('kunjungan') }} k
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = k.kode_wilayah AND p.periode = k.periode
WHERE k.tingkat = 'kabupaten'
