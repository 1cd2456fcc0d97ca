from django.apps import AppConfig


class EspaceCandidatConfig(AppConfig):
    name = "espace_candidat"
    verbose_name = "Espace candidat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from candidates.hooks import register_rgpd_section
        from espace_candidat import signals  # noqa: F401 - registers the listeners
        from espace_candidat.rgpd import espace_erase, espace_export

        register_rgpd_section("espace_candidat", export=espace_export, erase=espace_erase)
