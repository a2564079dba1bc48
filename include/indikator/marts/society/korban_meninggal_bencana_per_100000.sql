-- Korban meninggal bencana per 100.000 penduduk: korban meninggal / penduduk × 100.000.
SELECT m.kode_wilayah, m.periode, 100000.0 * m.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('meninggal') }} m
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = m.kode_wilayah AND p.periode = m.periode
