#!/bin/bash
# First start of the compose PostgreSQL: the warehouse role and database (password from the environment).
# CREATEROLE: `walidata peran` (airflow-init) creates the analyst and pipeline roles.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE walidata LOGIN CREATEROLE PASSWORD '${WALIDATA_DB_PASSWORD}';
CREATE DATABASE walidata OWNER walidata;
SQL
