from django.apps import AppConfig


class CertificateurConfig(AppConfig):
    name = "certificateur"
    verbose_name = "Espace certificateur"

    def ready(self) -> None:
        # The dashboard panel registers itself on import.
        from certificateur import dashboard  # noqa: F401
