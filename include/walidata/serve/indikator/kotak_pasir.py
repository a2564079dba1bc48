"""The sandbox (kotak pasir) that indicator SQL runs in: it reads the run's staged inputs and the reference
tables, and nothing else: no file of the server, no network, no write that stays.

An indicator's `.sql` is one SELECT (`spec._load_one` refuses a `;` inside and anything that does not start with
SELECT or WITH; `Kotak.hasil` refuses a `;` again), run wrapped in a subquery by `hitung.indicator_query`.

DuckDB: once the run's connection has the warehouse file open, `SET enable_external_access = false` (no file
read or written through SQL: read_text, read_csv, COPY … TO, ATTACH, INSTALL/LOAD; no network) and
`SET lock_configuration = true` (the SQL cannot set it back). Both hold for that database instance until the
run's engine is disposed; the warehouse file itself, temporary tables and Arrow staging keep working.

PostgreSQL: each indicator query runs in a savepoint made `READ ONLY` (`SET TRANSACTION READ ONLY`) and rolled
back afterwards, so nothing it does stays. When the warehouse user could reach server files (a superuser, or a
member of pg_read_server_files, pg_write_server_files or pg_execute_server_program), the query also runs as the
role `walidata_indikator_sql` (NOLOGIN, no superuser, no member of anything; USAGE on schema ref, SELECT on its
tables and on the run's staging tables only), through a SECURITY DEFINER function owned by that role: inside
it PostgreSQL refuses `SET ROLE` and `set_config('role', …)`, so the SQL cannot become the session's superuser
again; pg_read_file, pg_ls_dir, lo_import, COPY to or from a file and the like are refused. A warehouse user
without those rights runs the query as itself (it cannot reach server files anyway), read-only.
"""

from __future__ import annotations

import sqlalchemy as sa

from walidata.serve.indikator.spec import IndikatorError

ROLE = "walidata_indikator_sql"
FUNCTION = "pg_temp.walidata_indikator_sql"
SAVEPOINT = "walidata_indikator_sql"
FILE_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
READ_SCHEMAS = ("ref",)  # what indicator SQL reads besides its inputs (`referensi`: ref.wilayah, ref.periode)


def _can_reach_files(conn: sa.Connection, role_sql: str) -> bool:
    """Whether a role (`current_user`, or a quoted name) is a superuser or may read/write server files."""
    checks = " OR ".join(f"pg_has_role(r.oid, '{f}', 'MEMBER')" for f in FILE_ROLES)
    return bool(conn.exec_driver_sql(
        f"SELECT r.rolsuper OR {checks} FROM pg_roles r WHERE r.rolname = {role_sql}").scalar())


def _pg_role(conn: sa.Connection) -> str | None:
    """The role indicator SQL runs as (created if missing, granted what it reads), or None: the warehouse user
    cannot reach server files, so the query runs as that user."""
    x = conn.exec_driver_sql
    if not _can_reach_files(conn, "current_user"):
        return None
    try:
        x(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN CREATE ROLE {ROLE} "
          f"NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS; END IF; "
          f"EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        for schema in READ_SCHEMAS:
            x(f"GRANT USAGE ON SCHEMA {schema} TO {ROLE}")
            x(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {ROLE}")
        x(f"CREATE OR REPLACE FUNCTION {FUNCTION}(q text) RETURNS TABLE (kode_wilayah text, periode text, "
          f"nilai double precision) LANGUAGE plpgsql SECURITY DEFINER AS $f$ BEGIN RETURN QUERY EXECUTE q; END $f$")
        x(f"ALTER FUNCTION {FUNCTION}(text) OWNER TO {ROLE}")
    except sa.exc.DBAPIError as exc:
        raise IndikatorError(
            f"SQL indikator tidak dapat dikurung: pengguna gudang data dapat membaca berkas server, dan peran "
            f"{ROLE} tidak dapat disiapkan ({str(exc.orig).splitlines()[0]}); buat peran itu (NOLOGIN) atau "
            f"jalankan dengan pengguna tanpa hak superuser/pg_read_server_files") from None
    if _can_reach_files(conn, f"'{ROLE}'"):
        raise IndikatorError(f"peran {ROLE} dapat membaca berkas server (superuser atau anggota "
                             f"{', '.join(FILE_ROLES)}): SQL indikator tidak dijalankan dengan peran itu")
    return ROLE


class Kotak:
    """The sandbox of one run's connection: set up once, before any indicator SQL runs on it."""

    def __init__(self, conn: sa.Connection):
        self.conn, self.dialect, self.role = conn, conn.dialect.name, None
        if self.dialect == "duckdb":
            conn.exec_driver_sql("SET enable_external_access = false")
            conn.exec_driver_sql("SET lock_configuration = true")
        elif self.dialect == "postgresql":
            self.role = _pg_role(conn)

    def izinkan(self, table: str) -> None:
        """Let the indicator SQL read one staging table of the run (a temporary table, a checked name)."""
        if self.role:
            self.conn.exec_driver_sql(f"GRANT SELECT ON {table} TO {self.role}")

    def hasil(self, sql: str) -> list[tuple]:
        """The rows (kode_wilayah, periode, nilai) of one indicator query, run in the sandbox."""
        if ";" in sql:
            raise IndikatorError("SQL indikator harus satu pernyataan SELECT (tanpa ';')")
        if self.dialect != "postgresql":
            return [tuple(r) for r in self.conn.execute(sa.text(sql)).all()]
        x = self.conn.exec_driver_sql
        x(f"SAVEPOINT {SAVEPOINT}")
        try:
            x("SET TRANSACTION READ ONLY")
            if self.role is None:
                return [tuple(r) for r in self.conn.execute(sa.text(sql)).all()]
            typed = ("SELECT CAST(w.kode_wilayah AS text), CAST(w.periode AS text), CAST(w.nilai AS double precision) "
                     f"FROM (\n{sql}\n) w")
            return [tuple(r) for r in self.conn.execute(sa.text(f"SELECT * FROM {FUNCTION}(:q)"), {"q": typed}).all()]
        finally:
            x(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")  # nothing the query did stays; READ ONLY and the role end here
            x(f"RELEASE SAVEPOINT {SAVEPOINT}")
