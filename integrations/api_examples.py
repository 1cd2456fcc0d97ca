"""Example values of webhooks in the published schema (``core.schema_examples``)."""

VALUES = {
    "WebhookEndpoint.description": "Système d'information de l'école",
    "disabled_reason": "",
    "secret": "whsec_exemple-a-remplacer",
    "payload": {"event": "dossier.transition", "data": {"to": "inscrit"}},
    "last_error": "",
    "attempt": 1,
    "attempts": 1,
    "consecutive_failures": 0,
    "last_status_code": 200,
}
