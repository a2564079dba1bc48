-- Tingkat pengangguran terbuka: angka BPS apa adanya, untuk kabupaten.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('tpt') }}
WHERE tingkat = 'kabupaten'
