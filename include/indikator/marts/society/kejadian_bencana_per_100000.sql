-- Kejadian bencana per 100.000 penduduk: kejadian / penduduk × 100.000.
SELECT k.kode_wilayah, k.periode, 100000.0 * k.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('kejadian') }} k
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = k.kode_wilayah AND p.periode = k.periode
