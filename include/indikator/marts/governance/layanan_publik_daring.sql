-- Layanan publik daring: layanan daring / seluruh layanan publik × 100, kabupaten, per tahun.
SELECT d.kode_wilayah, d.periode, 100.0 * d.nilai / NULLIF(l.nilai, 0) AS nilai
FROM {{ masukan('daring') }} d
JOIN {{ masukan('layanan') }} l ON l.kode_wilayah = d.kode_wilayah AND l.periode = d.periode
WHERE d.tingkat = 'kabupaten'
