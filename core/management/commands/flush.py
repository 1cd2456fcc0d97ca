"""``flush`` as the owner role when DATABASE_MIGRATE_URL is set.

It empties tables with TRUNCATE, which the application role may not do (TRUNCATE skips the
immutability triggers and row-level security); the test suite's transactional tests flush
through this command after each test.
"""

from django.core.management.commands.flush import Command as FlushCommand

from core.db_roles import as_owner


class Command(FlushCommand):
    help = FlushCommand.help + " Connects as the owner role (DATABASE_MIGRATE_URL) when it is set."

    def handle(self, **options):
        with as_owner(options["database"]):
            super().handle(**options)
