-- v4: ref.wilayah for all Indonesia carries its edition; audit.load_log counts rows set aside as other regions'.
-- Released: never edit.
ALTER TABLE ref.wilayah ADD COLUMN edisi VARCHAR;
ALTER TABLE audit.load_log ADD COLUMN baris_disisihkan INTEGER;
