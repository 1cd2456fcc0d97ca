"""The two PostgreSQL roles: the owner runs migrations, the application role only reads and writes.

A table's owner may disable its triggers, lift its row-level security, drop its policies or
TRUNCATE it, so the role the application connects as (``DATABASE_URL``) owns nothing. The
owner (``DATABASE_MIGRATE_URL``, credentials only: same server, same database) creates the
tables; ``migrate`` and ``flush`` (core/management/commands/) switch the connection to it with
:func:`as_owner`, and ``migrate`` then grants the application role its rows with
:func:`grant_application_role`. The same grants for a database set up outside Django:
docker/postgres/roles.psql.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
# Rows only. No TRUNCATE (it bypasses triggers and row-level security), TRIGGER or REFERENCES;
# no setval() on sequences (UPDATE).
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"


def owner_credentials() -> dict | None:
    """USER/PASSWORD/HOST/PORT of the owner role, or None when none is configured."""
    url = getattr(settings, "DATABASE_MIGRATE_URL", "")
    if not url:
        return None
    parsed = dj_database_url.parse(url)
    return {key: parsed.get(key, "") for key in CREDENTIALS}


def use_credentials(alias: str, credentials: dict) -> dict:
    """Point connection ``alias`` at other credentials (closing it); returns the previous ones."""
    connection = connections[alias]
    previous = {key: connection.settings_dict.get(key, "") for key in CREDENTIALS}
    connection.close()
    # connection.settings_dict is settings.DATABASES[alias]: new threads' connections follow.
    connection.settings_dict.update(credentials)
    return previous


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Run the block connected as the owner role; yields whether the connection was switched.

    A no-op (yields False) without an owner URL, on another database engine, or when the
    connection already uses the owner's credentials.
    """
    connection = connections[alias]
    credentials = owner_credentials()
    if (
        credentials is None
        or connection.vendor != "postgresql"
        or connection.settings_dict.get("USER") == credentials["USER"]
    ):
        yield False
        return
    previous = use_credentials(alias, credentials)
    try:
        yield True
    finally:
        use_credentials(alias, previous)


def application_role() -> str:
    """The role the application connects as: DATABASE_URL's user."""
    return getattr(settings, "DATABASE_APP_USER", "") or ""


def grant_application_role(alias: str = DEFAULT_DB_ALIAS, role: str | None = None) -> bool:
    """As the owner, grant ``role`` (the application role) its rows; idempotent.

    Explicit grants on what exists, plus default privileges for what later migrations create.
    Returns False (nothing done) when the connection is not the owner's or there is no
    distinct application role.
    """
    connection = connections[alias]
    role = role or application_role()
    credentials = owner_credentials()
    if (
        connection.vendor != "postgresql"
        or credentials is None
        or not role
        or role == credentials["USER"]
        or connection.settings_dict.get("USER") != credentials["USER"]
    ):
        return False
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user")
        database, owner = cursor.fetchone()
        for sql in (
            f"GRANT CONNECT ON DATABASE {qn(database)} TO {qn(role)}",
            f"GRANT USAGE ON SCHEMA public TO {qn(role)}",
            f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {qn(role)}",
            f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {qn(role)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qn(owner)} IN SCHEMA public "
            f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {qn(role)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qn(owner)} IN SCHEMA public "
            f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {qn(role)}",
        ):
            cursor.execute(sql)
    return True
