-- Korban kekerasan perempuan dan anak per 100.000: korban / (penduduk perempuan + anak 0-17) × 100.000
-- (anak perempuan terhitung di kedua pembagi: pendekatan, lihat definisi).
SELECT k.kode_wilayah, k.periode, 100000.0 * k.nilai / NULLIF(p.nilai + a.nilai, 0) AS nilai
FROM {{ masukan('korban') }} k
JOIN {{ masukan('perempuan') }} p ON p.kode_wilayah = k.kode_wilayah AND p.periode = k.periode
JOIN {{ masukan('anak') }} a ON a.kode_wilayah = k.kode_wilayah AND a.periode = k.periode
