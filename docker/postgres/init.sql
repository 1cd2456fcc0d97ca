-- Runs once, when the postgres container initialises an empty data volume
-- (docker/postgres/ is mounted as /docker-entrypoint-initdb.d/ by docker-compose.yml; executed
-- by psql as the POSTGRES_USER superuser with ON_ERROR_STOP).
--
-- Creates the two roles and the application database through roles.psql (shared with
-- scripts/ensure_services.sh):
--   * the owner (APP_DB_OWNER, APP_DB_OWNER_PASSWORD): owns the database and every table,
--     runs the migrations (compose's `migrate` service);
--   * the application role (APP_DB_USER, APP_DB_PASSWORD): web, worker, beat; owns nothing and
--     may only read and write rows, so it can neither disable a trigger nor lift row-level
--     security. Neither role is superuser or BYPASSRLS.
-- Values come from the container environment (see .env.example).

\getenv app_user APP_DB_USER
\getenv app_password APP_DB_PASSWORD
\getenv app_db APP_DB_NAME
\getenv owner_user APP_DB_OWNER
\getenv owner_password APP_DB_OWNER_PASSWORD

\if :{?app_user}
\else
  \set app_user certif
\endif
\if :{?app_db}
\else
  \set app_db certif
\endif
\if :{?owner_user}
\else
  \set owner_user certif_owner
\endif
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'APP_DB_PASSWORD is not set for the postgres container'; END $$;
\endif
\if :{?owner_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'APP_DB_OWNER_PASSWORD is not set for the postgres container'; END $$;
\endif
-- The application role creates no database in production.
\set app_createdb NOCREATEDB

\ir roles.psql
