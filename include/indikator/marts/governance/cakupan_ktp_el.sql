-- Cakupan perekaman KTP-el: sudah rekam / wajib KTP-el × 100, per kabupaten dan kecamatan, per tahun.
SELECT r.kode_wilayah, r.periode, 100.0 * r.nilai / NULLIF(w.nilai, 0) AS nilai
FROM {{ masukan('rekam') }} r
JOIN {{ masukan('wajib') }} w ON w.kode_wilayah = r.kode_wilayah AND w.periode = r.periode
