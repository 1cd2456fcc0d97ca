-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d/ by docker-compose.yml; executed by psql as the
-- POSTGRES_USER superuser with ON_ERROR_STOP).
--
-- Creates the application role and its database. The role must never be superuser and must
-- not bypass row-level security: tenant isolation relies on RLS policies applying to it.
-- CREATEDB lets the test suite create its test database when pointed at this server.
-- Role name, password and database come from the container environment
-- (APP_DB_USER, APP_DB_PASSWORD, APP_DB_NAME; see .env.example).

\getenv app_user APP_DB_USER
\getenv app_password APP_DB_PASSWORD
\getenv app_db APP_DB_NAME

\if :{?app_user}
\else
  \set app_user certif
\endif
\if :{?app_db}
\else
  \set app_db certif
\endif
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'APP_DB_PASSWORD is not set for the postgres container'; END $$;
\endif

CREATE ROLE :"app_user" WITH LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'app_password';

CREATE DATABASE :"app_db" OWNER :"app_user";

-- Nobody else may connect to the application database by default.
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
