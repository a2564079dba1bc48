-- Angka kematian bayi: kematian bayi / lahir hidup × 1.000, per kabupaten dan kecamatan, per tahun.
SELECT k.kode_wilayah, k.periode, 1000.0 * k.nilai / NULLIF(l.nilai, 0) AS nilai
FROM {{ masukan('kematian') }} k
JOIN {{ masukan('lahir') }} l ON l.kode_wilayah = k.kode_wilayah AND l.periode = k.periode
