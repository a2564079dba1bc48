-- Desa terjangkau sinyal 4G: desa 4G / seluruh desa × 100, per kabupaten dan kecamatan, per tahun.
SELECT g.kode_wilayah, g.periode, 100.0 * g.nilai / NULLIF(d.nilai, 0) AS nilai
FROM {{ masukan('desa_4g') }} g
JOIN {{ masukan('desa') }} d ON d.kode_wilayah = g.kode_wilayah AND d.periode = g.periode
