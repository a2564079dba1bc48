-- Jumlah kunjungan wisatawan (nusantara + mancanegara), kabupaten, per bulan dan per tahun.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('kunjungan') }}
WHERE tingkat = 'kabupaten'
