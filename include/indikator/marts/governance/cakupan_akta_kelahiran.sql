-- Cakupan akta kelahiran anak 0-17: anak berakta / anak 0-17 × 100, per kabupaten dan kecamatan, per tahun.
SELECT b.kode_wilayah, b.periode, 100.0 * b.nilai / NULLIF(a.nilai, 0) AS nilai
FROM {{ masukan('berakta') }} b
JOIN {{ masukan('anak') }} a ON a.kode_wilayah = b.kode_wilayah AND a.periode = b.periode
