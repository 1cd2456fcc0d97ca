from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Intégrations (API : idempotence, webhooks)"

    def ready(self):
        from integrations import events

        events.connect()
