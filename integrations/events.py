"""Domain events → webhooks, without touching the apps' services.

The dossier state machine has its listener hook (``candidates.hooks``); the other events are read
from the rows as they are saved: a field that goes from empty to set (``valide_le``,
``soumis_le``, ``frozen_at``, ``revoked_at``, ``rapport_imported_at``), a document that becomes
ready, or whose version grows. The values a row was loaded with are kept by ``post_init`` (no
query); ``post_save`` compares. Nothing is sent before the transaction commits
(``webhooks.emit``), and an organisation without endpoints pays no query (cached list).
"""

from django.db.models.signals import post_init, post_save

from integrations.models import Event

# model label → the fields whose values at load time are compared after save
WATCHED = {
    "evaluations.Resultat": ("valide_le",),
    "evaluations.AvisEntreprise": ("soumis_le",),
    "juries.Jury": ("frozen_at",),
    "documents.IssuedDocument": ("status", "revoked_at", "version"),
    "certificateur.CdcFlux": ("rapport_imported_at",),
}


def _remember(sender, instance, **kwargs):
    instance._webhook_initial = {f: instance.__dict__.get(f) for f in WATCHED[sender._meta.label]}


def _became_set(instance, field: str, created: bool) -> bool:
    before = None if created else getattr(instance, "_webhook_initial", {}).get(field)
    return before is None and getattr(instance, field) is not None


def _emit(instance, event: str, data) -> None:
    """``data`` is a callable: built (its related rows read) only when an endpoint listens."""
    from integrations.webhooks import emit

    emit(organisation_id=instance.organisation_id, event=event, data=data)


def _saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    label = sender._meta.label
    if label == "evaluations.Resultat" and _became_set(instance, "valide_le", created):
        _emit(
            instance,
            Event.RESULTATS_VALIDES,
            lambda: {
                "resultat": str(instance.public_id),
                "dossier": str(instance.dossier.public_id),
                "kind": instance.kind,
                "capacite": instance.capacite.code if instance.capacite_id else None,
                "bloc": instance.bloc.code if instance.bloc_id else None,
                "composante": instance.composante or None,
                "valide_le": instance.valide_le,
            },
        )
    elif label == "evaluations.AvisEntreprise" and _became_set(instance, "soumis_le", created):
        _emit(
            instance,
            Event.AVIS_SOUMIS,
            lambda: {
                "avis": str(instance.public_id),
                "dossier": str(instance.dossier.public_id),
                "soumis_le": instance.soumis_le,
            },
        )
    elif label == "juries.Jury" and _became_set(instance, "frozen_at", created):
        _emit(
            instance,
            Event.JURY_SIGNE,
            lambda: {
                "jury": str(instance.public_id),
                "intitule": instance.intitule,
                "signe_le": instance.frozen_at,
            },
        )
    elif label == "documents.IssuedDocument":
        _document_saved(instance, created)
    elif label == "certificateur.CdcFlux" and _became_set(instance, "rapport_imported_at", created):
        _emit(
            instance,
            Event.ACCROCHAGE_RAPPORT,
            lambda: {
                "flux": str(instance.public_id),
                "id_flux": instance.id_flux,
                "id_traitement": instance.id_traitement,
                "ok": instance.nb_ok,
                "ko": instance.nb_ko,
            },
        )
    instance._webhook_initial = {f: getattr(instance, f) for f in WATCHED[label]}


def _document_saved(document, created: bool) -> None:
    initial = {} if created else getattr(document, "_webhook_initial", {})
    data = {
        "document": str(document.public_id),
        "kind": document.kind,
        "number": document.number,
        "holder_name": document.holder_name,
        "version": document.version,
        "verification_code": document.verification_code,
    }
    if _became_set(document, "revoked_at", created):
        _emit(document, Event.DOCUMENT_REVOQUE, lambda: {**data, "reason": document.revocation_reason})
        return
    ready = document.status == document.Status.READY
    if ready and initial.get("status") != document.Status.READY:
        # Ready for the first time (version 1) or ready again after a re-issue.
        event = Event.DOCUMENT_EMIS if document.version == 1 else Event.DOCUMENT_REEDITE
        _emit(document, event, lambda: data)


def _transition(*, dossier, from_status, to_status, by, **kwargs):
    from integrations.webhooks import emit

    emit(
        organisation_id=dossier.organisation_id,
        event=Event.DOSSIER_TRANSITION,
        data=lambda: {
            "dossier": str(dossier.public_id),
            "candidate": str(dossier.candidate.public_id),
            "referentiel": dossier.referentiel.code,
            "from": from_status,
            "to": to_status,
        },
    )


def connect() -> None:
    from django.apps import apps

    from candidates.hooks import register_transition_listener

    register_transition_listener(_transition)
    for label in WATCHED:
        model = apps.get_model(label)
        post_init.connect(_remember, sender=model, dispatch_uid=f"webhooks-init-{label}")
        post_save.connect(_saved, sender=model, dispatch_uid=f"webhooks-save-{label}")
