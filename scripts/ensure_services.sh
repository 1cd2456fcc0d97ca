#!/usr/bin/env bash
# Make PostgreSQL and Redis available for the "real" mode (tests):
#
#   1. install Debian's postgresql / redis-server when their binaries are missing;
#   2. start them when installed but not running, with the commands this machine
#      kind uses (pg_ctlcluster ... start; redis-server --daemonize yes ...);
#   3. wait until they answer (pg_isready, redis-cli ping), with a timeout;
#   4. create/alter, idempotently (docker/postgres/roles.psql, shared with the
#      production init), the two roles and the database `certif`:
#        - `certif_owner` (LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB, password
#          certif_owner) owns the database and its tables and runs the migrations
#          (the test runner and the bench create their databases as it);
#        - `certif` (LOGIN NOSUPERUSER NOBYPASSRLS, password certif), the
#          application role: owns nothing, SELECT/INSERT/UPDATE/DELETE only;
#      on a machine where `certif` still owns `certif` from before the split,
#      ownership of the database and of its objects moves to `certif_owner`.
#
# Everything is idempotent: on a machine where both already run it only checks.
# Only local services (127.0.0.1) are managed.
#
# Tunables (environment): PG_HOST PG_PORT REDIS_PORT APP_DB_USER APP_DB_PASSWORD
# APP_DB_OWNER APP_DB_OWNER_PASSWORD APP_DB_NAME SERVICE_TIMEOUT (seconds per
# service, default 60).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
APP_DB_USER=${APP_DB_USER:-certif}
APP_DB_PASSWORD=${APP_DB_PASSWORD:-certif}
APP_DB_NAME=${APP_DB_NAME:-certif}
APP_DB_OWNER=${APP_DB_OWNER:-certif_owner}
APP_DB_OWNER_PASSWORD=${APP_DB_OWNER_PASSWORD:-certif_owner}
TIMEOUT=${SERVICE_TIMEOUT:-60}

log() { echo "services: $*"; }
die() { echo "ERROR (services): $*" >&2; exit 1; }

# Wait until "$@" succeeds, at most $TIMEOUT seconds.  wait_for NAME CMD...
wait_for() {
    local name=$1; shift
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.5
    done
    log "$name is up"
}

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
pg_server_installed() {
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null \
        && command -v psql >/dev/null && command -v pg_isready >/dev/null
}

if ! pg_server_installed; then
    log "PostgreSQL server not found: installing Debian's postgresql"
    bash "$HERE/ensure_apt.sh" postgresql postgresql-client
fi

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

if pg_ready; then
    log "PostgreSQL already answers on $PG_HOST:$PG_PORT"
else
    # Newest installed major version that has a cluster config; create one if none.
    PG_VERSION=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
    if [ -z "$PG_VERSION" ] || [ ! -d "/etc/postgresql/$PG_VERSION/main" ]; then
        PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n1)
        log "no PostgreSQL cluster configured: pg_createcluster $PG_VERSION main"
        pg_createcluster "$PG_VERSION" main -p "$PG_PORT" >/dev/null
    fi
    log "starting PostgreSQL $PG_VERSION (cluster main)"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start \
        || log "pg_ctlcluster start returned non-zero (it may already be starting); waiting"
    wait_for "PostgreSQL" pg_ready || die "PostgreSQL did not answer on $PG_HOST:$PG_PORT within ${TIMEOUT}s.
  See /var/log/postgresql/postgresql-$PG_VERSION-main.log and 'pg_lsclusters'."
fi

# Superuser access, whichever works here: TCP as postgres (trust auth on this
# machine kind), else the postgres OS user over the Unix socket (peer auth,
# Debian's default after a fresh install).
PSQL_MODE=""
if psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    PSQL_MODE=tcp
elif [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 \
        && (cd / && su postgres -s /bin/sh -c "psql -w -p $PG_PORT -d postgres -Atqc 'select 1'") >/dev/null 2>&1; then
    PSQL_MODE=su
elif command -v sudo >/dev/null 2>&1 \
        && (cd / && sudo -n -u postgres psql -w -p "$PG_PORT" -d postgres -Atqc 'select 1') >/dev/null 2>&1; then
    PSQL_MODE=sudo
else
    die "cannot connect to PostgreSQL as superuser 'postgres' (tried -h $PG_HOST -U postgres, su postgres, sudo -u postgres)."
fi

# Run SQL from stdin as the postgres superuser, with psql variables.
psql_admin() {
    local args=(-X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres
        -v app_user="$APP_DB_USER" -v app_password="$APP_DB_PASSWORD" -v app_db="$APP_DB_NAME"
        -v owner_user="$APP_DB_OWNER" -v owner_password="$APP_DB_OWNER_PASSWORD" "$@")
    case "$PSQL_MODE" in
        tcp) psql -w -h "$PG_HOST" -U postgres "${args[@]}" ;;
        su) (cd / && su postgres -s /bin/bash -c "psql -w $(printf '%q ' "${args[@]}")") ;;
        sudo) (cd / && sudo -n -u postgres psql -w "${args[@]}") ;;
    esac
}

log "ensuring roles '$APP_DB_OWNER' (owner) and '$APP_DB_USER' (application) and database '$APP_DB_NAME'"
# The application role creates no database: test and bench databases are created, migrated
# and dropped by the owner role, as in production.
psql_admin -v app_createdb=NOCREATEDB <"$HERE/../docker/postgres/roles.psql" >/dev/null

# Both roles connect over TCP with a password: check that they really can, and that the
# application role owns nothing in its database (else it could lift RLS or disable triggers).
for who in "$APP_DB_USER:$APP_DB_PASSWORD" "$APP_DB_OWNER:$APP_DB_OWNER_PASSWORD"; do
    if ! PGPASSWORD="${who#*:}" psql -w -X -h "$PG_HOST" -p "$PG_PORT" -U "${who%%:*}" -d "$APP_DB_NAME" \
            -Atqc 'select 1' >/dev/null 2>&1; then
        die "role '${who%%:*}' cannot log in to '$APP_DB_NAME' over TCP ($PG_HOST:$PG_PORT); check pg_hba.conf."
    fi
done
owned=$(PGPASSWORD="$APP_DB_PASSWORD" psql -w -X -h "$PG_HOST" -p "$PG_PORT" -U "$APP_DB_USER" -d "$APP_DB_NAME" -Atqc \
    "select (select count(*) from pg_class where relowner = current_user::regrole)
          + (select count(*) from pg_namespace where nspowner = current_user::regrole)
          + (select count(*) from pg_database where datname = current_database() and datdba = current_user::regrole)")
[ "$owned" = "0" ] || die "role '$APP_DB_USER' still owns $owned object(s) in '$APP_DB_NAME'."
log "PostgreSQL ready: postgres://$APP_DB_USER:***@$PG_HOST:$PG_PORT/$APP_DB_NAME (owner $APP_DB_OWNER)"

# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "Redis not found: installing Debian's redis-server"
    bash "$HERE/ensure_apt.sh" redis-server redis-tools
fi

redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

if redis_ready; then
    log "Redis already answers on 127.0.0.1:$REDIS_PORT"
else
    log "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for "Redis" redis_ready || die "Redis did not answer on 127.0.0.1:$REDIS_PORT within ${TIMEOUT}s.
  See /var/log/redis/ci.log."
fi
log "Redis ready: redis://127.0.0.1:$REDIS_PORT/0"
