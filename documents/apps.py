from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from documents.rendering import check_harfbuzz_subset

        check_harfbuzz_subset()  # warns once at start-up when fonts cannot be subset in C
