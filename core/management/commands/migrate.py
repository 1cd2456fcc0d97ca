"""``migrate`` as the owner role when DATABASE_MIGRATE_URL is set, then grant the application role.

The application role (DATABASE_URL) owns no table and cannot create one: see core.db_roles.
"""

from django.core.management.commands.migrate import Command as MigrateCommand

from core.db_roles import as_owner, grant_application_role


class Command(MigrateCommand):
    help = MigrateCommand.help + " Connects as the owner role (DATABASE_MIGRATE_URL) when it is set."

    def handle(self, *args, **options):
        database = options["database"]
        with as_owner(database):
            super().handle(*args, **options)
            if not (options.get("plan") or options.get("check_unapplied")):
                grant_application_role(database)
