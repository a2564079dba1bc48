-- Prevalensi stunting: balita stunting / balita diukur × 100 (desa dijumlah ke kecamatan dan kabupaten).
SELECT s.kode_wilayah, s.periode, 100.0 * s.nilai / NULLIF(d.nilai, 0) AS nilai
FROM {{ masukan('stunting') }} s
JOIN {{ masukan('diukur') }} d ON d.kode_wilayah = s.kode_wilayah AND d.periode = s.periode
