from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from core import (
            filenames,
            schema,  # noqa: F401 - registers the OpenAPI authentication extension
        )

        filenames.connect()
