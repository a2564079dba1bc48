-- Luas karhutla: jumlah luas terbakar kejadian karhutla (ha).
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('terbakar') }}
