from django.core.management import call_command


def test_no_model_change_without_migration(db):
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
