-- Jumlah titik panas: angka kecamatan dan jumlahnya untuk kabupaten, per bulan dan per tahun.
SELECT kode_wilayah, periode, nilai
FROM {{ masukan('titik') }}
