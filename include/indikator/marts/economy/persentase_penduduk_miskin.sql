-- Persentase penduduk miskin: angka BPS apa adanya, untuk kabupaten.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('miskin') }}
WHERE tingkat = 'kabupaten'
