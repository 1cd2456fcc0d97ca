"""Signatures of a PV with a second factor; the last one freezes the deliberation."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import events
from core.actors import actor_user
from core.dates import date_fr
from core.errors import ApplicationError
from juries.models import Jury, JuryMember, ProcesVerbal, Signature
from juries.services._common import S, _lock, _require_jury_day
from juries.services.deliberation import _voting_member, sha256_text
from juries.services.rectification import _rectification_apply
from organisations.models import Membership
from organisations.services import audit_record

#: Signing with a second factor has the same attempt limit as login (ACCOUNT_RATE_LIMITS
#: « login_failed »: 5 per 5 minutes): after SIGN_MAX_FAILURES wrong codes the account cannot
#: sign for SIGN_LOCK_SECONDS; every failure is audited (issue 13, point 6).
SIGN_MAX_FAILURES = 5
SIGN_LOCK_SECONDS = 5 * 60


class SecondFactorRefused(ApplicationError):
    """A wrong signing code: counted and audited outside the signing transaction."""


def _sign_failures_key(user: User) -> str:
    return f"jury-sign-failures:{user.pk}"


def sign_lock_check(user: User) -> None:
    from django.core.cache import cache

    if cache.get(_sign_failures_key(user), 0) >= SIGN_MAX_FAILURES:
        raise ApplicationError(
            f"Trop de codes erronés : la signature est bloquée pendant {SIGN_LOCK_SECONDS // 60} minutes. "
            "Réessayez plus tard avec le code actuel de votre application.",
            field="code",
        )


def _sign_failure_record(user: User, jury: Jury) -> int:
    from django.core.cache import cache

    key = _sign_failures_key(user)
    cache.add(key, 0, SIGN_LOCK_SECONDS)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, SIGN_LOCK_SECONDS)
        failures = 1
    cache.touch(key, SIGN_LOCK_SECONDS)
    audit_record(
        actor=user,
        action="jury.sign_failed",
        obj=jury,
        message=f"Code de second facteur erroné ({failures}/{SIGN_MAX_FAILURES})",
    )
    return failures


def second_factor_check(user: User, code: str) -> None:
    """Re-authentication by the member's TOTP second factor (each code is usable once)."""
    sign_lock_check(user)
    code = (code or "").strip().replace(" ", "")
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise ApplicationError(
            "Activez votre second facteur (application d'authentification) avant de signer.", field="code"
        )
    if not (code.isascii() and code.isdigit()) or not TOTP(authenticator).validate_code(code):
        raise SecondFactorRefused(
            "Code de vérification invalide ou déjà utilisé : saisissez le code actuel de votre application.",
            field="code",
        )
    authenticator.record_usage()


def pv_signatories(pv: ProcesVerbal) -> list[JuryMember]:
    return [m for m in pv.jury.members.all() if m.votes]


def proces_verbal_sign(
    *, proces_verbal: ProcesVerbal, by: Membership, code: str, ip: str | None, passkey: str = ""
) -> Signature:
    """A member signs after re-authenticating with their second factor; the président signs last.

    The last signature completes the PV: the initial one freezes the deliberation and
    deliberates the dossiers; a rectification's applies the correction. A wrong code is
    counted and audited after the signing transaction is rolled back (so the trace stays).
    """
    try:
        with transaction.atomic():
            return _proces_verbal_sign(proces_verbal=proces_verbal, by=by, code=code, ip=ip, passkey=passkey)
    except SecondFactorRefused as exc:
        failures = _sign_failure_record(by.user, proces_verbal.jury)
        if failures >= SIGN_MAX_FAILURES:
            raise ApplicationError(
                f"{exc.message} Trop de codes erronés : la signature est bloquée pendant "
                f"{SIGN_LOCK_SECONDS // 60} minutes.",
                field="code",
            ) from None
        raise ApplicationError(
            f"{exc.message} ({SIGN_MAX_FAILURES - failures} essai(s) restant(s))", field="code"
        ) from None


def _proces_verbal_sign(
    *, proces_verbal: ProcesVerbal, by: Membership, code: str, ip: str | None, passkey: str = ""
) -> Signature:
    jury = _lock(proces_verbal.jury)
    pv = ProcesVerbal.objects.select_for_update().get(pk=proces_verbal.pk)
    if pv.completed_at is not None:
        raise ApplicationError("Ce procès-verbal est déjà entièrement signé.")
    if pv.kind == ProcesVerbal.Kind.INITIAL and jury.status != S.SIGNATURE:
        raise ApplicationError(
            f"Le jury est « {jury.get_status_display()} » : la signature n'est pas ouverte."
        )
    _require_jury_day(jury, "de signer le procès-verbal")
    member = _voting_member(jury, by)
    if pv.signatures.filter(member=member).exists():
        raise ApplicationError("Vous avez déjà signé ce procès-verbal.")
    signed = set(pv.signatures.values_list("member_id", flat=True))
    others = [
        m
        for m in pv_signatories(pv)
        if m.role != JuryMember.Role.PRESIDENT and m.pk not in signed and m.pk != member.pk
    ]
    if member.role == JuryMember.Role.PRESIDENT and others:
        raise ApplicationError(
            "Le président signe en dernier : attendent encore "
            + ", ".join(m.nom_complet for m in others)
            + "."
        )
    if passkey:  # a WebAuthn assertion instead of the app's code (juries.passkeys)
        from juries.passkeys import passkey_check

        sign_lock_check(by.user)  # the lock after wrong codes holds for passkeys too
        try:
            passkey_check(by.user, passkey)
        except ApplicationError as exc:  # counted like a wrong code
            raise SecondFactorRefused(exc.message, field="code") from None
    else:
        second_factor_check(by.user, code)
    digest = sha256_text(pv.contenu)
    if digest != pv.sha256:  # the text on record is what is signed, never a stale copy
        raise ApplicationError(
            "Le contenu du procès-verbal ne correspond plus à son empreinte : signature refusée."
        )
    signature = Signature.objects.create(
        organisation_id=jury.organisation_id,
        proces_verbal=pv,
        member=member,
        user=by.user,
        ip=ip or None,
        sha256=digest,
    )
    audit_record(actor=by.user, action="jury.sign", obj=jury, message=f"{member} — {digest}")
    if len(signed) + 1 == len(pv_signatories(pv)):
        pv.completed_at = timezone.now()
        pv.save(update_fields=["completed_at"])
        if pv.kind == ProcesVerbal.Kind.INITIAL:
            _freeze(jury, by)
        else:
            _rectification_apply(pv.rectification, by)
    return signature


def _freeze(jury: Jury, by: Membership) -> None:
    """Last signature: dossiers deliberated, then the deliberation frozen (DB triggers from here on)."""
    from candidates.services import dossier_deliberate

    for d in jury.decisions.select_related("dossier").order_by("order", "pk"):
        reason = f"Jury « {jury.intitule} » du {date_fr(jury.date)}"
        if d.is_override:
            reason += f" — dérogation motivée : {d.motivation}"
        dossier_deliberate(
            dossier=d.dossier,
            by=by,
            decision=d.decision,
            blocs_acquis=d.blocs_valides,
            date=jury.date,
            reason=reason,
        )
    jury.status, jury.frozen_at = S.SIGNE, timezone.now()
    jury.save(update_fields=["status", "frozen_at"])
    audit_record(actor=actor_user(by), action="jury.frozen", obj=jury)
    events.publish("jury.frozen", jury=jury)
    from juries import documents
    from juries.issuance import pv_transmit

    pv_transmit(jury=jury, by=by)
    documents.jury_documents_request(jury=jury, by=by)
