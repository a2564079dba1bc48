-- Indeks Pembangunan Manusia: angka BPS apa adanya, untuk kabupaten.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('ipm') }}
WHERE tingkat = 'kabupaten'
