-- Persentase wisatawan mancanegara: kunjungan mancanegara / seluruh kunjungan × 100, kabupaten, bulan dan tahun.
SELECT m.kode_wilayah, m.periode, 100.0 * m.nilai / NULLIF(s.nilai, 0) AS nilai
FROM {{ masukan('mancanegara') }} m
JOIN {{ masukan('semua') }} s ON s.kode_wilayah = m.kode_wilayah AND s.periode = m.periode
WHERE m.tingkat = 'kabupaten'
