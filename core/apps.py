from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from core import (
            filenames,
            schema,  # noqa: F401 - registers the OpenAPI authentication extension
        )
        from documents.rendering import check_harfbuzz_subset

        check_harfbuzz_subset()
        filenames.connect()
