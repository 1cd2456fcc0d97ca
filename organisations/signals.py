"""Grants end everything they granted, whatever the path (services, API, admin site).

A membership's API tokens are credentials it granted: when the membership is deactivated (or its
user, or its organisation), every one of its tokens is revoked — not merely refused while the
grant is off — so that reactivating the membership does not bring them back: the member creates
new ones. Hooked on the models' saves (``pre_save`` reads the stored state, ``post_save`` revokes).
"""

from django.db.models.signals import post_save, pre_save
from django.utils import timezone


def _was_active(sender, instance) -> bool:
    if instance.pk is None:
        return False
    return bool(sender._base_manager.filter(pk=instance.pk, is_active=True).exists())


def _remember(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and "is_active" not in update_fields:
        instance._grant_was_active = None
        return
    instance._grant_was_active = _was_active(sender, instance) if not instance.is_active else None


def _revoke(filter_kwargs: dict) -> int:
    from organisations.models import ApiToken

    return ApiToken.objects.filter(revoked_at__isnull=True, **filter_kwargs).update(revoked_at=timezone.now())


def _membership_saved(sender, instance, created=False, **kwargs) -> None:
    if not instance.is_active and (created or getattr(instance, "_grant_was_active", None)):
        _revoke({"membership": instance})


def _user_saved(sender, instance, created=False, **kwargs) -> None:
    if not instance.is_active and getattr(instance, "_grant_was_active", None):
        _revoke({"membership__user": instance})


def _organisation_saved(sender, instance, created=False, **kwargs) -> None:
    if not instance.is_active and getattr(instance, "_grant_was_active", None):
        _revoke({"membership__organisation": instance})


def connect() -> None:
    from django.contrib.auth import get_user_model

    from organisations.models import Membership, Organisation

    for model, handler in (
        (Membership, _membership_saved),
        (get_user_model(), _user_saved),
        (Organisation, _organisation_saved),
    ):
        pre_save.connect(_remember, sender=model, dispatch_uid=f"grant_remember:{model._meta.label}")
        post_save.connect(handler, sender=model, dispatch_uid=f"grant_revoke:{model._meta.label}")
