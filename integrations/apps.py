from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Intégrations (API : idempotence, webhooks)"

    def ready(self):
        from integrations import events

        events.connect()
        from types import SimpleNamespace

        from integrations import idempotency
        from organisations.hooks import register_post_interceptor

        register_post_interceptor(SimpleNamespace(begin=idempotency.begin, finish=idempotency.finish))
