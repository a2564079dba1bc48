-- Cakupan KB aktif: peserta KB aktif / PUS × 100, per kabupaten dan kecamatan, per tahun.
SELECT k.kode_wilayah, k.periode, 100.0 * k.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('kb_aktif') }} k
JOIN {{ masukan('pus') }} p ON p.kode_wilayah = k.kode_wilayah AND p.periode = k.periode
