-- Kepadatan penduduk: penduduk / luas km² (luas dari ref.wilayah; kecamatan tidak punya luas di referensi).
SELECT p.kode_wilayah, p.periode, p.nilai / w.luas_km2 AS nilai
FROM {{ masukan('penduduk') }} p
JOIN ref.wilayah w ON w.kode_kemendagri = p.kode_wilayah
WHERE p.tingkat = 'kabupaten' AND w.luas_km2 > 0
