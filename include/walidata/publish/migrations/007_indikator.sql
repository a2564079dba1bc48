-- v7: Smart City indicators. ref.indikator holds each indicator's MS-Ind metadata (Peraturan BPS 5/2020) from
-- include/indikator/; mart.indikator_nilai__riwayat every value ever computed, with its validity, and the view
-- mart.indikator_nilai the values in force; audit.indikator_hitung what each indicator was last computed from.
-- Released: never edit.
CREATE TABLE IF NOT EXISTS ref.indikator (
    kode VARCHAR PRIMARY KEY, nama VARCHAR NOT NULL, dimensi VARCHAR NOT NULL, elemen VARCHAR,
    konsep VARCHAR, definisi VARCHAR, interpretasi VARCHAR, rumus VARCHAR, ukuran VARCHAR, satuan VARCHAR,
    klasifikasi_penyajian VARCHAR, komposit VARCHAR, publikasi_ketersediaan_indikator_pembangun VARCHAR,
    indikator_pembangun VARCHAR, kegiatan_penghasil_variabel_pembangun VARCHAR, kode_kegiatan VARCHAR,
    variabel_pembangun VARCHAR, level_estimasi VARCHAR, dapat_diakses_umum VARCHAR, periode VARCHAR,
    sumber_penduduk VARCHAR, masukan VARCHAR, rentang_min DOUBLE PRECISION, rentang_maks DOUBLE PRECISION,
    toleransi_perubahan DOUBLE PRECISION, metadata_json VARCHAR
);

CREATE TABLE IF NOT EXISTS mart.indikator_nilai__riwayat (
    indikator VARCHAR NOT NULL, kode_wilayah VARCHAR NOT NULL, periode VARCHAR NOT NULL,
    nilai DOUBLE PRECISION, satuan VARCHAR, status VARCHAR NOT NULL, keterangan VARCHAR,
    sumber_penduduk VARCHAR, lineage VARCHAR, run_id VARCHAR,
    berlaku_mulai TIMESTAMP WITH TIME ZONE NOT NULL, berlaku_sampai TIMESTAMP WITH TIME ZONE
);

CREATE VIEW mart.indikator_nilai AS
SELECT n.indikator, n.kode_wilayah, w.nama AS nama_wilayah, w.tingkat AS tingkat_wilayah, n.periode,
       p.jenis AS jenis_periode, p.tahun, p.bulan, n.nilai, n.satuan, n.status, n.keterangan, n.sumber_penduduk,
       n.lineage, n.run_id, n.berlaku_mulai AS dihitung_pada
FROM mart.indikator_nilai__riwayat n
LEFT JOIN ref.wilayah w ON w.kode_kemendagri = n.kode_wilayah
LEFT JOIN ref.periode p ON p.periode = n.periode
WHERE n.berlaku_sampai IS NULL;

CREATE TABLE IF NOT EXISTS audit.indikator_hitung (
    indikator VARCHAR PRIMARY KEY, sidik VARCHAR NOT NULL, run_id VARCHAR,
    dihitung_pada TIMESTAMP WITH TIME ZONE NOT NULL, baris INTEGER, baris_berubah INTEGER
);

COMMENT ON TABLE ref.indikator IS 'Indikator Smart City: metadata MS-Ind (Peraturan BPS 5/2020), dimensi dan elemen Smart City';
COMMENT ON COLUMN ref.indikator.kode IS 'Kode indikator (nama berkas di include/indikator)';
COMMENT ON COLUMN ref.indikator.dimensi IS 'Dimensi Smart City: governance, branding, economy, living, society, environment';
COMMENT ON COLUMN ref.indikator.level_estimasi IS 'Tingkat wilayah yang dihitung: kabupaten, kecamatan';
COMMENT ON COLUMN ref.indikator.periode IS 'Periode yang dihitung: tahun, bulan';
COMMENT ON COLUMN ref.indikator.sumber_penduduk IS 'Angka penduduk yang dipakai sebagai pembagi: dukcapil atau proyeksi_bps';
COMMENT ON COLUMN ref.indikator.masukan IS 'Dataset masukan (id katalog), dipisah koma';
COMMENT ON COLUMN ref.indikator.toleransi_perubahan IS 'Perubahan tahunan (proporsi) yang wajar; lebih dari itu diberi peringatan';
COMMENT ON TABLE mart.indikator_nilai__riwayat IS 'Semua nilai indikator yang pernah dihitung, dengan masa berlakunya';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.status IS 'tersedia, tidak_tersedia (masukan periode itu tidak lengkap), input_belum_tersedia (dataset masukan belum ada), tidak_terdefinisi (pembagi nol)';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.keterangan IS 'Mengapa nilai tidak tersedia, dalam istilah OPD';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.sumber_penduduk IS 'Angka penduduk yang dipakai: dukcapil atau proyeksi_bps';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.lineage IS 'JSON: dataset, variabel dan load_id setiap masukan';
COMMENT ON TABLE audit.indikator_hitung IS 'Penghitungan terakhir setiap indikator: sidik definisi dan masukan, agar hanya yang berubah dihitung ulang';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.indikator IS 'Kode indikator (ref.indikator.kode)';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.kode_wilayah IS 'Kode wilayah Kemendagri: kabupaten/kota atau kecamatan';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.periode IS 'Tahun (2024) atau bulan (2024-03), lihat ref.periode';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.nilai IS 'Nilai indikator; kosong bila status bukan tersedia';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.satuan IS 'Satuan nilai (dari metadata indikator)';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.run_id IS 'Run yang menghitung nilai ini';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.berlaku_mulai IS 'Sejak kapan nilai ini berlaku (dihitung)';
COMMENT ON COLUMN mart.indikator_nilai__riwayat.berlaku_sampai IS 'Sampai kapan berlaku; kosong = masih berlaku';
COMMENT ON COLUMN ref.indikator.nama IS 'Nama Indikator (MS-Ind)';
COMMENT ON COLUMN ref.indikator.elemen IS 'Elemen dimensi Smart City (panduan masterplan Kominfo)';
COMMENT ON COLUMN ref.indikator.rumus IS 'Metode/Rumus Penghitungan (MS-Ind)';
COMMENT ON COLUMN ref.indikator.komposit IS 'Indikator Komposit: Ya/Tidak (MS-Ind)';
COMMENT ON COLUMN ref.indikator.dapat_diakses_umum IS 'Dapat Diakses Umum: Ya/Tidak (MS-Ind)';
COMMENT ON COLUMN ref.indikator.rentang_min IS 'Nilai terkecil yang mungkin (diperiksa GX)';
COMMENT ON COLUMN ref.indikator.rentang_maks IS 'Nilai terbesar yang mungkin (diperiksa GX)';
COMMENT ON COLUMN audit.indikator_hitung.sidik IS 'Sidik definisi, keadaan masukan dan lingkup: sama berarti tidak perlu dihitung ulang';
