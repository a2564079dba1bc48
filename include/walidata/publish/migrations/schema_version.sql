-- audit.schema_version: which migrations a warehouse has had (written by the runner before any migration).
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.schema_version (
    versi INTEGER PRIMARY KEY,
    keterangan VARCHAR NOT NULL,
    diterapkan_pada TIMESTAMP WITH TIME ZONE NOT NULL
);
