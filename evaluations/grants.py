"""A tuteur's links die with the dossier's tuteur change (issue 16: grants end what they granted).

The avis de l'entreprise is asked of the dossier's tuteur by an e-mailed link (signed with the
avis's ``lien_version``) and read by the tuteur's account (``avis.tuteur``'s e-mail). When the
dossier's tuteur changes — by any path: services, API, admin site — an avis not yet submitted is
no longer the old tuteur's: it moves to the new tuteur with a new link version (every link sent
before stops working; the centre sends the new tuteur a link with « Prolonger »), or, when the
dossier has no tuteur any more, the request is withdrawn. A submitted avis stays as it was given.
"""

from django.db.models import F
from django.db.models.signals import post_save, pre_save


def _remember_tuteur(sender, instance, update_fields=None, **kwargs) -> None:
    instance._tuteur_before = None
    if instance.pk is None or (update_fields is not None and "tuteur" not in update_fields):
        return
    instance._tuteur_before = (
        sender._base_manager.filter(pk=instance.pk).values_list("tuteur_id", flat=True).first()
    )


def _tuteur_changed(sender, instance, created=False, **kwargs) -> None:
    before = getattr(instance, "_tuteur_before", None)
    if created or before is None or before == instance.tuteur_id:
        return
    from evaluations.models import AvisEntreprise

    pending = AvisEntreprise.objects.filter(dossier_id=instance.pk, soumis_le__isnull=True)
    if instance.tuteur_id is None:
        pending.delete()
    else:
        pending.update(tuteur_id=instance.tuteur_id, lien_version=F("lien_version") + 1, lien_utilise_le=None)


def connect() -> None:
    from candidates.models import Dossier

    pre_save.connect(_remember_tuteur, sender=Dossier, dispatch_uid="avis_tuteur_remember")
    post_save.connect(_tuteur_changed, sender=Dossier, dispatch_uid="avis_tuteur_changed")
