-- v6: the descriptions (keterangan) of the fixed tables and their columns, read by the data dictionary
-- (`walidata kamus`) and by analysts' tools. Until v5 they lived only in Python code; now in the warehouse.
COMMENT ON TABLE ref.wilayah IS 'Wilayah administrasi seluruh Indonesia: provinsi, kabupaten/kota, kecamatan, desa/kelurahan';
COMMENT ON COLUMN ref.wilayah.kode_kemendagri IS 'Kode wilayah Kemendagri (Kepmendagri 300.2.2-2138/2025)';
COMMENT ON COLUMN ref.wilayah.kode_bps IS 'Kode wilayah BPS (tidak selalu sejalan dengan Kemendagri)';
COMMENT ON COLUMN ref.wilayah.tingkat IS 'provinsi, kabupaten, kota, kecamatan, desa, kelurahan';
COMMENT ON COLUMN ref.wilayah.luas_km2 IS 'Luas wilayah (BIG)';
COMMENT ON COLUMN ref.wilayah.penduduk_laki IS 'Penduduk laki-laki (Dukcapil)';
COMMENT ON COLUMN ref.wilayah.penduduk_perempuan IS 'Penduduk perempuan (Dukcapil)';
COMMENT ON COLUMN ref.wilayah.penduduk_total IS 'Penduduk (Dukcapil)';
COMMENT ON COLUMN ref.wilayah.edisi IS 'Edisi kode wilayah (Kepmendagri) dan sidik berkas referensi';

COMMENT ON TABLE ref.dataset IS 'Daftar data: metadata Satu Data setiap dataset OPD dari katalog';
COMMENT ON TABLE ref.opd IS 'Organisasi Perangkat Daerah produsen data';
COMMENT ON TABLE ref.periode IS 'Kalender periode: tahun, semester, triwulan dan bulan, dengan awal dan akhirnya';
COMMENT ON COLUMN ref.periode.jenis IS 'tahun, semester, triwulan, bulan';

COMMENT ON TABLE audit.load_log IS 'Satu baris per dataset per run: apa yang dibaca, dimuat, ditolak, dan hasil validasi';
COMMENT ON COLUMN audit.load_log.status IS 'dimuat, gagal_baca, gagal_validasi, gagal_muat (terbit gagal), gagal_tulis (penyimpanan)';
COMMENT ON COLUMN audit.load_log.hasil_validasi IS 'lulus, lulus dengan peringatan, gagal';
COMMENT ON COLUMN audit.load_log.baris_berubah IS 'Baris yang baru atau menggantikan angka sebelumnya';
COMMENT ON COLUMN audit.load_log.baris_disisihkan IS 'Baris milik wilayah lain: tidak dimuat, hanya dihitung';
COMMENT ON COLUMN audit.load_log.baris_dipertahankan IS 'Angka yang sudah terbit, tidak ada dalam muatan sebagian, dan tetap berlaku';
COMMENT ON COLUMN audit.load_log.wilayah IS 'Kabupaten/kota (unit terbit) yang dimuat';

COMMENT ON TABLE audit.hasil_validasi IS 'Hasil setiap pemeriksaan validasi setiap run: bukti pemeriksaan Walidata';
