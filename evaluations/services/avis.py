"""The avis de l'entreprise: the signed link, the tuteur's account, the form, reminders."""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q as _Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from candidates.models import Dossier
from core.actors import Actor, actor_user
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from evaluations.models import (
    AvisCapacite,
    AvisEntreprise,
)
from evaluations.services._common import OPEN_STATUSES, _check_open, _targeted_bloc_ids
from organisations.models import Membership, Organisation
from organisations.roles import Role
from organisations.services import audit_record
from referentiels.models import Capacite, Critere

# =============================================================================================
# Avis de l'entreprise
# =============================================================================================


AVIS_SALT = "evaluations.avis"
AVIS_LINK_INVALID = "Ce lien est invalide ou a expiré. Demandez un nouveau lien au centre d'examen."


AVIS_LINK_REPLACED = "Ce lien a été remplacé par un nouveau lien : utilisez le dernier reçu par e-mail."


def avis_link_token(avis: AvisEntreprise) -> str:
    return signing.dumps(
        {"o": avis.organisation_id, "a": str(avis.public_id), "v": avis.lien_version}, salt=AVIS_SALT
    )


def avis_link_url(avis: AvisEntreprise) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("avis_link", args=[avis_link_token(avis)])


def avis_page_url(avis: AvisEntreprise) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "avis_detail", kwargs={"org_slug": avis.organisation.slug, "avis_id": avis.public_id}
    )


@transaction.atomic
def avis_request(*, dossier: Dossier, by: Actor, date_limite: dt.date) -> AvisEntreprise:
    """Ask the dossier's tuteur for the avis de l'entreprise: one per dossier, e-mailed link."""
    tuteur = dossier.tuteur
    if tuteur is None:
        raise ApplicationError(
            "Ce dossier n'a pas de tuteur : renseignez-le avant de demander l'avis.", field="dossier"
        )
    _check_open(dossier)
    if date_limite <= timezone.localdate():
        raise ApplicationError("La date limite doit être dans le futur.", field="date_limite")
    if AvisEntreprise.objects.filter(dossier=dossier).exists():
        raise ApplicationError(
            "L'avis de l'entreprise a déjà été demandé pour ce dossier : pour repousser sa date limite "
            "ou renvoyer le lien au tuteur, utilisez « Prolonger et renvoyer le lien ».",
            field="dossier",
        )
    avis = AvisEntreprise(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        tuteur=tuteur,
        date_limite=date_limite,
        demande_par=actor_user(by),
    )
    avis.save()
    targeted = _targeted_bloc_ids(dossier)
    AvisCapacite.objects.bulk_create(
        [
            AvisCapacite(organisation_id=avis.organisation_id, avis_entreprise=avis, capacite=c)
            for c in Capacite.objects.filter(
                referentiel_id=dossier.referentiel_id, bloc_id__in=targeted
            ).order_by("bloc__order", "order")
        ]
    )
    audit_record(
        actor=actor_user(by),
        action="avis.request",
        obj=avis,
        message=f"{tuteur.email}, avant le {date_limite:%d/%m/%Y}",
    )
    enqueue_on_commit(
        "evaluations.tasks.avis_invitation_send",
        organisation_id=avis.organisation_id,
        avis_id=avis.pk,
        relance=False,
    )
    return avis


@transaction.atomic
def avis_extend(*, avis: AvisEntreprise, by: Actor, date_limite: dt.date) -> AvisEntreprise:
    """Give the tuteur a new deadline and a fresh link (e-mailed); the previous links stop working.

    For an avis not yet transmitted (a transmitted one is locked), typically once its deadline has
    passed or its link expired. The new deadline is in the future and not before the current one.
    The link may be used again to sign in (the tuteur who lost access gets it back)."""
    avis = AvisEntreprise.objects.select_for_update().select_related("tuteur", "dossier").get(pk=avis.pk)
    if avis.is_submitted:
        raise ApplicationError(
            f"Cet avis a été transmis le {timezone.localtime(avis.soumis_le):%d/%m/%Y} : il est verrouillé, "
            "sa date limite ne change plus.",
            field="avis",
        )
    _check_open(avis.dossier)
    if not isinstance(date_limite, dt.date):
        raise ApplicationError("Indiquez la nouvelle date limite (jj/mm/aaaa).", field="date_limite")
    today = timezone.localdate()
    if date_limite <= today:
        raise ApplicationError(
            f"La nouvelle date limite doit être dans le futur (après le {today:%d/%m/%Y}).",
            field="date_limite",
        )
    if date_limite < avis.date_limite:
        raise ApplicationError(
            f"La nouvelle date limite ne peut pas avancer l'actuelle ({avis.date_limite:%d/%m/%Y}).",
            field="date_limite",
        )
    previous = avis.date_limite
    avis.date_limite = date_limite
    avis.lien_version += 1
    avis.lien_utilise_le = None
    avis.derniere_relance_le = None
    avis.prolongations += 1
    avis.save(
        update_fields=[
            "date_limite",
            "lien_version",
            "lien_utilise_le",
            "derniere_relance_le",
            "prolongations",
        ]
    )
    audit_record(
        actor=actor_user(by),
        action="avis.extend",
        obj=avis,
        message=(
            f"{avis.tuteur.email} : date limite du {previous:%d/%m/%Y} reportée au {date_limite:%d/%m/%Y}, "
            "nouveau lien envoyé (les précédents ne fonctionnent plus)"
        ),
    )
    enqueue_on_commit(
        "evaluations.tasks.avis_invitation_send",
        organisation_id=avis.organisation_id,
        avis_id=avis.pk,
        relance=False,
    )
    return avis


def avis_link_resolve(token: str) -> tuple:
    """(organisation, avis) of a tuteur link, or ``ApplicationError`` (forged, expired, used, past deadline)."""

    try:
        data = signing.loads(
            token, salt=AVIS_SALT, max_age=dt.timedelta(days=settings.AVIS_LINK_MAX_AGE_DAYS)
        )
        organisation = Organisation.objects.get(pk=int(data["o"]), is_active=True)
    except (signing.BadSignature, KeyError, ValueError, TypeError, Organisation.DoesNotExist):
        raise ApplicationError(AVIS_LINK_INVALID) from None
    from organisations.tenancy import tenant_context

    with tenant_context(organisation):
        avis = (
            AvisEntreprise.objects.select_related("tuteur", "dossier__candidate")
            .filter(public_id=data["a"])
            .first()
        )
    if avis is None:
        raise ApplicationError(AVIS_LINK_INVALID)
    if data.get("v", 1) != avis.lien_version:
        raise ApplicationError(AVIS_LINK_REPLACED)
    if avis.lien_utilise_le is not None:
        raise ApplicationError(
            "Ce lien a déjà été utilisé. Connectez-vous avec votre adresse e-mail et votre mot de passe."
        )
    if avis.date_limite < timezone.localdate() and not avis.is_submitted:
        raise ApplicationError("La date limite de cet avis est dépassée. Contactez le centre d'examen.")
    return organisation, avis


def avis_link_may_login(*, user: User, organisation: Organisation) -> bool:
    """Whether following a tuteur link may sign ``user`` in without password or second factor.

    Only a plain tuteur account: never platform staff or a superuser, never an account with a
    second factor, never one holding any membership (active or not) other than the tuteur role
    in the centre the link comes from."""

    if user.is_superuser or user.is_staff or not user.is_active:
        return False
    if _has_second_factor(user):
        return False
    return not (
        Membership.objects.filter(user=user).exclude(organisation=organisation, role="tuteur").exists()
    )


def _has_second_factor(user: User) -> bool:

    if not apps.is_installed("allauth.mfa"):
        return False
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


@transaction.atomic
def avis_link_accept(*, token: str, user=None, password: str = "", first_name: str = "", last_name: str = ""):
    """Use a tuteur link once: create the tuteur's account (or take the existing one), give it
    the ``tuteur`` role in the centre, and spend the link. Returns ``(membership, avis)``."""
    from allauth.account.models import EmailAddress

    from organisations.services import membership_add
    from organisations.tenancy import tenant_context

    organisation, avis = avis_link_resolve(token)
    email = avis.tuteur.email.lower()
    User = get_user_model()
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            candidate = User(
                email=email,
                first_name=first_name.strip() or avis.tuteur.prenom,
                last_name=last_name.strip() or avis.tuteur.nom,
            )
            try:
                validate_password(password, user=candidate)
            except ValidationError as exc:
                raise ApplicationError(" ".join(exc.messages), field="password1") from exc
            candidate.set_password(password)
            candidate.save()
            user = candidate
    elif user.email.lower() != email:
        raise ApplicationError(
            "Ce lien a été envoyé à une autre adresse e-mail : déconnectez-vous puis rouvrez-le."
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    membership = Membership.objects.filter(user=user, organisation=organisation, is_active=True).first()
    if membership is None:
        membership = membership_add(user=user, organisation=organisation, role=Role.TUTEUR)
    with tenant_context(organisation):
        updated = AvisEntreprise.objects.filter(pk=avis.pk, lien_utilise_le__isnull=True).update(
            lien_utilise_le=timezone.now()
        )
        if not updated:  # two clicks at once: only one spends the link
            raise ApplicationError(
                "Ce lien a déjà été utilisé. Connectez-vous avec votre adresse e-mail et votre mot de passe."
            )
        audit_record(actor=user, action="avis.link", obj=avis, message=email)
    return membership, avis


@transaction.atomic
def avis_save(
    *, avis: AvisEntreprise, by: Actor, capacites: dict, commentaire: str = "", submit: bool = False
) -> AvisEntreprise:
    """Save the tuteur's avis (draft), or submit it: then it is timestamped and locked.

    ``capacites``: ``{capacite_id: {"avis": favorable|reserve|defavorable, "commentaire": str,
    "criteres": {critere_id: favorable|reserve|defavorable}}}``. On submission every capacité
    needs an avis, and a comment when the avis is not favorable.
    """
    avis = AvisEntreprise.objects.select_for_update().select_related("dossier").get(pk=avis.pk)
    if avis.is_submitted:
        raise ApplicationError(
            f"Cet avis a été transmis le {timezone.localtime(avis.soumis_le):%d/%m/%Y à %H:%M} : il ne peut plus être modifié."
        )
    if avis.date_limite < timezone.localdate():
        raise ApplicationError(
            f"La date limite ({avis.date_limite:%d/%m/%Y}) est dépassée : contactez le centre d'examen."
        )
    if avis.dossier.status not in OPEN_STATUSES:
        raise ApplicationError("Le dossier n'est plus en évaluation : l'avis ne peut plus être saisi.")
    rows = {
        row.capacite_id: row
        for row in AvisCapacite.objects.filter(avis_entreprise=avis).select_related("capacite")
    }

    criteres_of: dict[int, set[int]] = {}
    for cid, cap_id in Critere.objects.filter(capacite_id__in=rows).values_list("pk", "capacite_id"):
        criteres_of.setdefault(cap_id, set()).add(cid)
    allowed = set(AvisCapacite.Avis.values)
    errors = []
    for key, data in (capacites or {}).items():
        try:
            row = rows[int(key)]
        except (KeyError, ValueError, TypeError):
            raise ApplicationError("Capacité hors de cet avis.", field="capacites") from None
        value = (data.get("avis") or "").strip()
        if value and value not in allowed:
            raise ApplicationError(f"{row.capacite.code} : avis « {value} » inconnu.", field="capacites")
        criteres = {}
        for ckey, cvalue in (data.get("criteres") or {}).items():
            if not cvalue:
                continue
            critere_id: int | None
            try:
                critere_id = int(ckey)
            except (TypeError, ValueError):
                critere_id = None
            if critere_id not in criteres_of.get(row.capacite_id, set()) or cvalue not in allowed:
                raise ApplicationError(f"{row.capacite.code} : critère ou avis inconnu.", field="capacites")
            criteres[str(critere_id)] = cvalue
        row.avis, row.commentaire, row.criteres = value, (data.get("commentaire") or "").strip(), criteres
    if submit:
        for row in rows.values():
            if not row.avis:
                errors.append(f"{row.capacite.code} : avis manquant.")
            elif row.avis != AvisCapacite.Avis.FAVORABLE and not row.commentaire:
                errors.append(
                    f"{row.capacite.code} : un avis {row.get_avis_display().lower()} doit être commenté."
                )
        if errors:
            raise ApplicationError("Avis incomplet : " + " ".join(errors), field="capacites")
    AvisCapacite.objects.bulk_update(list(rows.values()), ["avis", "commentaire", "criteres"])
    avis.commentaire = commentaire.strip()
    if submit:
        avis.soumis_le, avis.soumis_par = timezone.now(), actor_user(by)
    avis.save()
    if submit:
        audit_record(actor=actor_user(by), action="avis.submit", obj=avis)
    return avis


def avis_reminders_due(*, today: dt.date | None = None):
    """Avis not submitted whose deadline is within the reminder window and not reminded today."""
    today = today or timezone.localdate()
    window = today + dt.timedelta(days=settings.AVIS_REMINDER_DAYS_BEFORE)

    return AvisEntreprise.objects.filter(
        soumis_le__isnull=True,
        date_limite__gte=today,
        date_limite__lte=window,
    ).filter(
        _Q(derniere_relance_le__isnull=True)
        | _Q(derniere_relance_le__lte=today - dt.timedelta(days=settings.AVIS_REMINDER_INTERVAL_DAYS))
    )


@transaction.atomic
def avis_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the tuteurs of the active organisation (inside its tenant context); idempotent per day."""
    today = today or timezone.localdate()
    due = list(avis_reminders_due(today=today).select_for_update())
    for avis in due:
        avis.relances += 1
        avis.derniere_relance_le = today
        avis.save(update_fields=["relances", "derniere_relance_le"])
        enqueue_on_commit(
            "evaluations.tasks.avis_invitation_send",
            organisation_id=avis.organisation_id,
            avis_id=avis.pk,
            relance=True,
        )
    return len(due)
