-- Dokter per 100.000 penduduk: (umum + gigi + spesialis) / penduduk × 100.000, per kabupaten dan kecamatan.
SELECT u.kode_wilayah, u.periode, 100000.0 * (u.nilai + g.nilai + s.nilai) / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('dokter_umum') }} u
JOIN {{ masukan('dokter_gigi') }} g ON g.kode_wilayah = u.kode_wilayah AND g.periode = u.periode
JOIN {{ masukan('dokter_spesialis') }} s ON s.kode_wilayah = u.kode_wilayah AND s.periode = u.periode
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = u.kode_wilayah AND p.periode = u.periode
