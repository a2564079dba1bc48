-- v9: audit.load_log accounts for every non-empty source row of a run: records, rows with a problem, rows of
-- other regions set aside, total rows, and rows that hold no data by reason (title, header, column numbers,
-- repeated header, footer, continuation). JSON text, the same on DuckDB and PostgreSQL.
-- Released: never edit.
ALTER TABLE audit.load_log ADD COLUMN akuntansi VARCHAR;
COMMENT ON COLUMN audit.load_log.akuntansi IS 'Akuntansi baris sumber (JSON): baris terisi = rekaman + masalah + disisihkan + total + bukan_data per alasan';
