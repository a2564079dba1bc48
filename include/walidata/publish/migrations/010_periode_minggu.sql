-- v10: ISO weeks (YYYY-Wnn, Monday to Sunday; the year is the ISO year) join the period calendar. The runner's
-- Python step adds their rows to ref.periode (jenis 'minggu', semester/triwulan/bulan empty: a week may straddle
-- them). Released: never edit.
COMMENT ON TABLE ref.periode IS 'Kalender periode: tahun, semester, triwulan, bulan dan minggu ISO, dengan awal dan akhirnya';
COMMENT ON COLUMN ref.periode.jenis IS 'tahun, semester, triwulan, bulan, minggu (minggu ISO YYYY-Wnn, Senin sampai Minggu)';
