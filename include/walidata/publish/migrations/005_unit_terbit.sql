-- v5: audit.load_log names the kabupaten/kota a load published (the unit of publishing, with the period) and
-- counts the figures a partial load left in force.
-- Released: never edit.
ALTER TABLE audit.load_log ADD COLUMN wilayah VARCHAR;
ALTER TABLE audit.load_log ADD COLUMN baris_dipertahankan INTEGER;
