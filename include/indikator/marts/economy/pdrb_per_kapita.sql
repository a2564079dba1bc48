-- PDRB per kapita ADHB: angka BPS apa adanya, untuk kabupaten.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('pdrb') }}
WHERE tingkat = 'kabupaten'
