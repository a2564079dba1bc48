-- Puskesmas per 30.000 penduduk: puskesmas / (penduduk / 30.000), per kabupaten dan kecamatan, per tahun.
SELECT k.kode_wilayah, k.periode, 30000.0 * k.nilai / NULLIF(p.nilai, 0) AS nilai
FROM {{ masukan('puskesmas') }} k
JOIN {{ masukan('penduduk') }} p ON p.kode_wilayah = k.kode_wilayah AND p.periode = k.periode
