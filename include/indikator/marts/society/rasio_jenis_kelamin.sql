-- Rasio jenis kelamin: laki-laki / perempuan × 100, per kabupaten dan kecamatan, per tahun.
SELECT l.kode_wilayah, l.periode, 100.0 * l.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('laki_laki') }} l
JOIN {{ masukan('perempuan') }} p ON p.kode_wilayah = l.kode_wilayah AND p.periode = l.periode
