-- Desa tanpa sinyal (blank spot): desa tanpa sinyal / seluruh desa × 100, per kabupaten dan kecamatan, per tahun.
SELECT t.kode_wilayah, t.periode, 100.0 * t.nilai / NULLIF(d.nilai, 0) AS nilai
FROM {{ masukan('tanpa_sinyal') }} t
JOIN {{ masukan('desa') }} d ON d.kode_wilayah = t.kode_wilayah AND d.periode = t.periode
