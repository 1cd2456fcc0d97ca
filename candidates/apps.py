from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = "Candidats et dossiers"

    def ready(self) -> None:
        # The dashboard panel registers itself on import.
        from candidates import dashboard  # noqa: F401
        from candidates.selectors import tuteur_known_name
        from organisations.hooks import register_known_name_provider

        register_known_name_provider(tuteur_known_name)
