"""Writes of the candidate's space and of the centre's side of it (thin views call these).

Rules quoted from seed 004 where they come from it. Every function runs inside the centre's
``tenant_context``; e-mails leave through Celery tasks after the transaction commits.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from candidates.models import Candidate, Dossier, Piece
from core.actors import Actor, actor_user
from core.dates import date_fr
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from espace_candidat.models import (
    CandidateAccess,
    CandidateNotification,
    Enquete,
    IdentityCorrection,
    Preference,
    RattrapageRequest,
    Situation,
    Suivi,
    Transmission,
)
from organisations.models import Membership
from organisations.roles import Role
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.selectors import certification_libelle

UNSUBSCRIBE_SALT = "espace_candidat.desabonnement"
#: Identity fields the candidate may ask to correct (what documents and the CDC declaration print).
CORRECTABLE_FIELDS = (
    "nom_naissance",
    "nom_usage",
    "prenom1",
    "prenom2",
    "prenom3",
    "naissance_jour",
    "naissance_mois",
    "naissance_annee",
    "naissance_commune",
    "naissance_pays",
)
#: Survey delays after the certification (seed 004 §10 « au moins 2 années postérieures à la
#: diplomation »; STATISTIQUES_PROMOTIONS: TAUX_INSERTION_GLOBAL_6MOIS, TAUX_INSERTION_METIER_2ANS).
SURVEY_MONTHS = {Enquete.Kind.SIX_MOIS: 6, Enquete.Kind.DEUX_ANS: 24}
REMINDER_EVERY_DAYS = 14
MAX_REMINDERS = 2
DEADLINE_NOTICE_DAYS = 7
#: The rattrapage request window's closing notice goes this many days before the règle's limit.
RATTRAPAGE_CLOSING_NOTICE_DAYS = 30


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- access ------------------------------------------------------------------------------------


@transaction.atomic
def candidate_invite(*, candidate: Candidate, by: Actor) -> CandidateAccess:
    """« Inviter le candidat à son espace »: one user per person (their e-mail), a candidate
    membership in this centre, the link to this centre's candidate row, and an e-mail saying how
    to sign in (a one-time code sent to the same address: no password)."""
    from allauth.account.models import EmailAddress

    if candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont été effacées.")
    email = (candidate.email or "").strip().lower()
    if not email:
        raise ApplicationError(
            "Ce candidat n'a pas d'adresse e-mail : renseignez-la sur sa fiche avant de l'inviter.",
            field="email",
        )
    organisation = current_organisation()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=None,
            first_name=candidate.prenom1,
            last_name=candidate.nom_usage or candidate.nom_naissance,
        )
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    if membership is not None and membership.role != Role.CANDIDAT:
        raise ApplicationError(
            f"{email} est déjà membre du centre ({membership.get_role_display()}) : "
            "un même compte ne peut être à la fois membre et candidat du centre."
        )
    other = CandidateAccess.objects.filter(user=user).exclude(candidate=candidate).first()
    if other is not None:
        raise ApplicationError(
            f"{email} a déjà accès au dossier d'un autre candidat de ce centre "
            f"({other.candidate.nom_complet}) : vérifiez l'adresse e-mail."
        )
    if membership is None:
        Membership.objects.create(user=user, organisation=organisation, role=Role.CANDIDAT)
    elif not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": False})
    access = CandidateAccess.objects.filter(candidate=candidate).first()
    if access is None:
        access = CandidateAccess.objects.create(
            organisation=organisation, candidate=candidate, user=user, invited_by=actor_user(by)
        )
    elif access.user_id != user.pk:  # the e-mail on the dossier changed: the new address gets access
        access.user = user
    access.last_invited_at = timezone.now()
    access.save()
    audit_record(actor=actor_user(by), action="candidate.espace_invite", obj=candidate, message=email)
    notify(
        candidate=candidate,
        kind=CandidateNotification.Kind.INVITATION,
        key=f"invitation:{access.last_invited_at.isoformat()}",
        subject=f"Votre espace candidat — {organisation.name}",
        lines=[
            f"{organisation.name} vous ouvre votre espace candidat sur la plateforme de certification : "
            "vous y trouverez vos dossiers, vos convocations, vos résultats une fois publiés et vos documents.",
            "Pas de mot de passe : sur la page de connexion, choisissez « Recevoir un code de connexion par "
            f"e-mail » et saisissez cette adresse ({email}). Un code à usage unique vous sera envoyé.",
        ],
        link=site_url(reverse("account_request_login_code")),
    )
    return access


def salutation(candidate: Candidate) -> str:
    civilite = "Madame" if candidate.civilite == Candidate.Civilite.MADAME else "Monsieur"
    return f"Bonjour {civilite} {candidate.nom_usage or candidate.nom_naissance},"


def unsubscribe_token(user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe(token: str) -> Preference:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ApplicationError("Lien de désabonnement invalide.") from None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None:
        raise ApplicationError("Lien de désabonnement invalide.")
    pref, _ = Preference.objects.get_or_create(user=user)
    if pref.unsubscribed_at is None:
        pref.unsubscribed_at = timezone.now()
        pref.save(update_fields=["unsubscribed_at"])
    return pref


def resubscribe(user: User) -> None:
    Preference.objects.filter(user=user).update(unsubscribed_at=None)


def notify(
    *, candidate: Candidate, kind: str, key: str, subject: str, lines: list[str], link: str = ""
) -> bool:
    """Queue one e-mail to the candidate (after commit), once per ``key``. Non-mandatory kinds
    are skipped for a person who unsubscribed. Returns whether an e-mail was queued."""
    email = (candidate.email or "").strip()
    if not email or candidate.erased_at:
        return False
    access = CandidateAccess.objects.filter(candidate=candidate).select_related("user").first()
    user = access.user if access else None
    mandatory = kind in CandidateNotification.MANDATORY
    if (
        not mandatory
        and user is not None
        and Preference.objects.filter(user=user, unsubscribed_at__isnull=False).exists()
    ):
        return False
    if CandidateNotification.objects.filter(candidate=candidate, key=key).exists():
        return False
    organisation = current_organisation()
    body = [salutation(candidate), "", *lines, ""]
    if link:
        body += [link, ""]
    if user is not None:
        body += [f"Votre espace candidat : {site_url(reverse('espace_home'))}", ""]
    body.append(organisation.name)
    if not mandatory and user is not None:
        body += [
            "",
            "Vous ne souhaitez plus recevoir ces messages facultatifs (rappels, enquêtes) ? "
            f"Désabonnez-vous : {site_url(reverse('espace_unsubscribe', args=[unsubscribe_token(user)]))}",
        ]
    CandidateNotification.objects.create(
        organisation=organisation, candidate=candidate, kind=kind, key=key, email=email, subject=subject[:300]
    )
    enqueue_on_commit(
        "espace_candidat.tasks.candidate_email_send",
        organisation_id=organisation.pk,
        to=email,
        subject=subject,
        body="\n".join(body),
    )
    return True


# --- results published -------------------------------------------------------------------------


def results_published(*, jury, by: Actor = None) -> int:
    """« Publier les résultats »: e-mail each candidate of the jury; schedule the follow-up
    surveys of the certified ones (seed 004 §10). Returns the number of e-mails queued."""
    from juries.models import Decision

    count = 0
    for decision in Decision.objects.filter(jury=jury).select_related(
        "dossier__candidate", "dossier__referentiel"
    ):
        dossier = decision.dossier
        ref = dossier.referentiel
        queued = notify(
            candidate=dossier.candidate,
            kind=CandidateNotification.Kind.RESULTATS,
            key=f"jury:{jury.public_id}:resultats",
            subject=f"Vos résultats sont publiés — {certification_libelle(ref)}",
            lines=[
                f"Les résultats du jury du {jury.date:%d/%m/%Y} pour « {certification_libelle(ref)} » sont publiés.",
                "Connectez-vous à votre espace candidat pour consulter la décision du jury et, le cas échéant, "
                "télécharger vos documents.",
            ],
        )
        count += int(queued)
        if dossier.status == Dossier.Status.DELIBERE and dossier.decision == Dossier.Decision.CERTIFIE:
            surveys_schedule(dossier=dossier)
    return count


def surveys_schedule(*, dossier: Dossier) -> list[Enquete]:
    """The 6-month and 2-year surveys of a certified dossier (idempotent)."""
    start = dossier.date_deliberation or timezone.localdate()
    out = []
    for kind, months in SURVEY_MONTHS.items():
        enquete, _ = Enquete.objects.get_or_create(
            dossier=dossier,
            kind=kind,
            defaults={"organisation": current_organisation(), "due_on": _add_months(start, months)},
        )
        out.append(enquete)
    return out


# --- identity --------------------------------------------------------------------------------


def identity_locked_message(jury) -> str:
    return (
        f"Le jury « {jury.intitule} » du {date_fr(jury.date)} a signé la délibération de votre dossier : "
        "vos données d'identité sont imprimées sur des documents signés. Une erreur d'état civil sur un "
        "document signé se corrige par une ré-édition que votre centre demande (correction d'état "
        "civil) : contactez-le en joignant un justificatif."
    )


@transaction.atomic
def identity_request(
    *, candidate: Candidate, by: Actor, changes: dict, commentaire: str = ""
) -> IdentityCorrection:
    """Confirm (no change) or ask the centre to correct identity data before the jury. Never edits
    the candidate row nor a signed document: the centre applies or refuses. Once a jury has signed
    for one of the candidate's dossiers this path is closed (the centre's re-issue takes over)."""
    from espace_candidat.selectors import identity_signed_jury

    signed = identity_signed_jury(candidate)
    if signed is not None:
        raise ApplicationError(identity_locked_message(signed))
    clean = {}
    for field, value in changes.items():
        if field not in CORRECTABLE_FIELDS:
            raise ApplicationError(f"Champ non corrigeable : {field}.")
        value = value if isinstance(value, int) else str(value or "").strip()
        current = getattr(candidate, field)
        if (current or "") != (value or "") and str(current or "") != str(value or ""):
            clean[field] = value
    if not clean and not commentaire.strip():
        correction = IdentityCorrection.objects.create(
            organisation=current_organisation(),
            candidate=candidate,
            confirme=True,
            status=IdentityCorrection.Status.APPLIQUEE,
            decided_at=timezone.now(),
        )
        return correction
    if IdentityCorrection.objects.filter(
        candidate=candidate, status=IdentityCorrection.Status.EN_ATTENTE
    ).exists():
        raise ApplicationError("Une demande de correction est déjà en attente auprès du centre.")
    for required in ("nom_naissance", "prenom1"):
        if required in clean and not clean[required]:
            field = Candidate._meta.get_field(required)
            label = field.verbose_name if isinstance(field, models.Field) else required
            raise ApplicationError(f"Le {label} ne peut pas être vide.", field=required)
    return IdentityCorrection.objects.create(
        organisation=current_organisation(),
        candidate=candidate,
        changes=clean,
        commentaire=commentaire.strip(),
    )


@transaction.atomic
def identity_decide(
    *, correction: IdentityCorrection, by: Actor, apply: bool, reponse: str = ""
) -> IdentityCorrection:
    from candidates.services import candidate_update

    correction = (
        IdentityCorrection.objects.select_for_update().select_related("candidate").get(pk=correction.pk)
    )
    if correction.status != IdentityCorrection.Status.EN_ATTENTE:
        raise ApplicationError("Cette demande a déjà été traitée.")
    if not apply and not reponse.strip():
        raise ApplicationError("Motivez le refus : le candidat le lira.", field="reponse")
    if apply and correction.changes:
        candidate_update(candidate=correction.candidate, by=by, **correction.changes)
    correction.status = IdentityCorrection.Status.APPLIQUEE if apply else IdentityCorrection.Status.REFUSEE
    correction.reponse, correction.decided_by, correction.decided_at = (
        reponse.strip(),
        actor_user(by),
        timezone.now(),
    )
    correction.save()
    audit_record(
        actor=actor_user(by), action=f"candidate.identity_{correction.status}", obj=correction.candidate
    )
    return correction


def identity_requests_close_at_jury(*, jury) -> int:
    """The jury signed (its deliberation is frozen): the pending identity corrections of its
    candidates are closed with the reason — what is printed on the signed documents is corrected
    through the centre's re-issue from now on. Returns the number closed."""
    from juries.models import Decision

    reason = f"Demande close le {date_fr(timezone.localdate())}. {identity_locked_message(jury)}"
    candidates = Decision.objects.filter(jury=jury).values("dossier__candidate_id")
    pending = IdentityCorrection.objects.filter(
        candidate_id__in=candidates, status=IdentityCorrection.Status.EN_ATTENTE
    )
    return pending.update(
        status=IdentityCorrection.Status.CLOSE, reponse=reason, decided_at=timezone.now(), decided_by=None
    )


# --- pièces, rattrapage -----------------------------------------------------------------------


def piece_hand_in(*, dossier: Dossier, by: Actor, kind: str, uploaded_file) -> Piece:
    """The candidate hands in a pièce the référentiel asks (the upload checks of candidates)."""
    from candidates.services import piece_upload
    from espace_candidat.selectors import pieces_asked

    if kind not in {k for k, _ in pieces_asked(dossier)}:
        raise ApplicationError("Ce dossier ne demande pas cette pièce.", field="kind")
    return piece_upload(dossier=dossier, by=by, kind=kind, uploaded_file=uploaded_file)


@transaction.atomic
def rattrapage_request(
    *, dossier: Dossier, by: Actor, motif: str, justification: str, uploaded_file=None
) -> RattrapageRequest:
    """Seed 004 §2: « Dans ces seuls cas une épreuve de rattrapage sera proposée au candidat dans
    un délai de 6 mois après demande écrite du candidat » — the recevable motives only, within the
    window of the référentiel's règle (blocs kept, retakes per bloc)."""
    from espace_candidat.selectors import rattrapage_window

    if motif not in RattrapageRequest.Motif.values:
        raise ApplicationError(
            "Motif non recevable : certificat médical, arrêt de travail ou cas de force majeure justifié.",
            field="motif",
        )
    if not (justification or "").strip():
        raise ApplicationError("Expliquez votre demande (justification).", field="justification")
    window = rattrapage_window(dossier)
    if window is None:
        raise ApplicationError("Un rattrapage se demande une fois les résultats publiés.")
    if not window["open"]:
        raise ApplicationError(window["reason"])
    if RattrapageRequest.objects.filter(dossier=dossier, status=RattrapageRequest.Status.EN_ATTENTE).exists():
        raise ApplicationError("Une demande de rattrapage est déjà en attente pour ce dossier.")
    request = RattrapageRequest(
        organisation=current_organisation(), dossier=dossier, motif=motif, justification=justification.strip()
    )
    if uploaded_file is not None:
        _attach_justificatif(request, uploaded_file)
    request.save()
    return request


def _attach_justificatif(request: RattrapageRequest, uploaded_file) -> None:
    """The checks of the dossier's pièces (size, content sniffed), then a random private name."""
    import secrets
    from pathlib import PurePath

    from candidates.sniffing import sniff_upload

    limit = settings.FILE_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ApplicationError(
            f"Fichier trop volumineux : {uploaded_file.size / 1_048_576:.1f} Mo, maximum {limit / 1_048_576:.0f} Mo.",
            field="file",
        )
    if uploaded_file.size == 0:
        raise ApplicationError("Le fichier est vide.", field="file")
    name = PurePath((uploaded_file.name or "").replace("\\", "/")).name[:255] or "justificatif"
    sniffed = sniff_upload(uploaded_file, name)
    request.justificatif.save(
        f"rattrapages/{request.organisation.public_id}/{secrets.token_urlsafe(18)}{sniffed.extension}",
        uploaded_file,
        save=False,
    )
    request.justificatif_nom, request.justificatif_type = name, sniffed.mime


@transaction.atomic
def rattrapage_decide(
    *, request: RattrapageRequest, by: Actor, accept: bool, reponse: str = ""
) -> RattrapageRequest:
    from candidates.services import dossier_rattrapage_open

    request = RattrapageRequest.objects.select_for_update().select_related("dossier").get(pk=request.pk)
    if request.status != RattrapageRequest.Status.EN_ATTENTE:
        raise ApplicationError("Cette demande a déjà été traitée.")
    if not accept and not reponse.strip():
        raise ApplicationError("Motivez le refus : le candidat le lira.", field="reponse")
    if accept:
        dossier_rattrapage_open(dossier=request.dossier, by=by)
    request.status = RattrapageRequest.Status.ACCEPTEE if accept else RattrapageRequest.Status.REFUSEE
    request.reponse, request.decided_by, request.decided_at = reponse.strip(), actor_user(by), timezone.now()
    request.save()
    return request


# --- follow-up after certification (seed 004 §10) ---------------------------------------------


@transaction.atomic
def suivi_validate(
    *,
    dossier: Dossier,
    email: str,
    telephone: str,
    adresse: str,
    code_postal: str,
    ville: str,
    situation: str,
) -> Suivi:
    """« Chaque candidat à la certification doit valider ses données … afin de permettre à
    l'établissement de formation de réaliser les enquêtes »."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if dossier.status != Dossier.Status.DELIBERE:
        raise ApplicationError("Les données de suivi se valident à la certification (dossier délibéré).")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError("Adresse e-mail invalide.", field="email") from None
    if situation not in Situation.values:
        raise ApplicationError("Choisissez votre situation.", field="situation")
    suivi, _ = Suivi.objects.update_or_create(
        dossier=dossier,
        defaults={
            "organisation": current_organisation(),
            "email": email,
            "telephone": telephone.strip(),
            "adresse": adresse.strip(),
            "code_postal": code_postal.strip(),
            "ville": ville.strip(),
            "situation": situation,
        },
    )
    return suivi


@transaction.atomic
def enquete_answer(
    *, enquete: Enquete, situation: str, en_lien: bool | None, contrat: str, poste: str
) -> Enquete:
    enquete = Enquete.objects.select_for_update().get(pk=enquete.pk)
    if enquete.answered_at is not None:
        raise ApplicationError(
            f"Vous avez déjà répondu le {timezone.localtime(enquete.answered_at):%d/%m/%Y}."
        )
    if situation not in Situation.values:
        raise ApplicationError("Indiquez votre situation actuelle.", field="situation")
    if situation == Situation.EMPLOI:
        if en_lien is None:
            raise ApplicationError(
                "Indiquez si votre emploi est en lien avec la certification.", field="en_lien"
            )
        from espace_candidat.models import Contrat

        if contrat not in Contrat.values:
            raise ApplicationError("Indiquez votre type de contrat.", field="contrat")
    else:
        en_lien, contrat, poste = None, "", ""
    enquete.situation, enquete.en_lien, enquete.contrat, enquete.poste = (
        situation,
        en_lien,
        contrat,
        poste.strip()[:200],
    )
    enquete.answered_at = timezone.now()
    enquete.save()
    return enquete


def enquetes_send_due(*, today: dt.date | None = None) -> dict:
    """Celery beat, per centre: send the surveys that are due, remind the silent ones every
    14 days (twice at most). Idempotent per day."""
    today = today or timezone.localdate()
    now = timezone.now()
    sent = reminded = 0
    for enquete in Enquete.objects.filter(due_on__lte=today, answered_at__isnull=True).select_related(
        "dossier__candidate", "dossier__referentiel"
    ):
        candidate, ref = enquete.dossier.candidate, enquete.dossier.referentiel
        link = site_url(
            reverse(
                "espace_enquete",
                kwargs={"org_slug": enquete.organisation.slug, "enquete_id": enquete.public_id},
            )
        )
        label = "6 mois" if enquete.kind == Enquete.Kind.SIX_MOIS else "2 ans"
        if enquete.sent_at is None:
            notify(
                candidate=candidate,
                kind=CandidateNotification.Kind.ENQUETE,
                key=f"enquete:{enquete.public_id}:envoi",
                subject=f"Votre situation {label} après la certification « {certification_libelle(ref)} »",
                lines=[
                    f"Vous avez obtenu la certification « {certification_libelle(ref)} ». Votre centre réalise "
                    f"l'enquête de suivi à {label} sur votre situation professionnelle et son lien avec la "
                    "certification : deux minutes suffisent.",
                ],
                link=link,
            )
            enquete.sent_at = now
            enquete.save(update_fields=["sent_at"])
            sent += 1
        elif enquete.reminders < MAX_REMINDERS and (
            enquete.last_reminder_at or enquete.sent_at
        ) <= now - dt.timedelta(days=REMINDER_EVERY_DAYS):
            enquete.reminders += 1
            notify(
                candidate=candidate,
                kind=CandidateNotification.Kind.ENQUETE,
                key=f"enquete:{enquete.public_id}:relance:{enquete.reminders}",
                subject=f"Rappel : enquête de suivi à {label} — {certification_libelle(ref)}",
                lines=[f"Votre réponse à l'enquête de suivi à {label} est toujours attendue."],
                link=link,
            )
            enquete.last_reminder_at = now
            enquete.save(update_fields=["reminders", "last_reminder_at"])
            reminded += 1
    return {"sent": sent, "reminded": reminded}


def deadlines_notify(*, today: dt.date | None = None) -> int:
    """Celery beat, per centre: the rapport due within 7 days (non-mandatory e-mail)."""
    today = today or timezone.localdate()
    count = 0
    for dossier in Dossier.objects.filter(
        date_remise_rapport__gte=today,
        date_remise_rapport__lte=today + dt.timedelta(days=DEADLINE_NOTICE_DAYS),
        status__in=[Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION],
    ).select_related("candidate", "referentiel"):
        count += int(
            notify(
                candidate=dossier.candidate,
                kind=CandidateNotification.Kind.ECHEANCE,
                key=f"echeance:rapport:{dossier.public_id}:{dossier.date_remise_rapport.isoformat()}",
                subject=f"Rapport à remettre avant le {dossier.date_remise_rapport:%d/%m/%Y}",
                lines=[
                    f"Votre rapport pour « {certification_libelle(dossier.referentiel)} » est à remettre au plus tard le "
                    f"{dossier.date_remise_rapport:%d/%m/%Y}. Vous pouvez le déposer dans votre espace candidat."
                ],
            )
        )
    return count


def rattrapage_windows_notify(*, today: dt.date | None = None) -> dict:
    """Celery beat, per centre: tell the candidate when their rattrapage request window opens
    (results published, blocs left to retake) and when it is about to close. The window is the
    typed règle's: seed 004 « Le candidat a la possibilité de repasser les blocs non validés, une
    seule fois par bloc, dans un délai de 5 ans » (``validite_blocs_annees`` after the first
    deliberation, ``rattrapages_par_bloc``). Non-mandatory e-mails, each sent once."""
    from django.db.models import Exists, OuterRef

    from espace_candidat.selectors import rattrapage_window_after_publication
    from juries.models import Decision

    today = today or timezone.localdate()
    published = Decision.objects.filter(dossier=OuterRef("pk"), jury__results_published_at__isnull=False)
    asked = RattrapageRequest.objects.filter(
        dossier=OuterRef("pk"),
        status__in=[RattrapageRequest.Status.EN_ATTENTE, RattrapageRequest.Status.ACCEPTEE],
    )
    dossiers = (
        Dossier.objects.filter(
            status=Dossier.Status.DELIBERE,
            decision__in=[Dossier.Decision.PARTIEL, Dossier.Decision.AJOURNE],
            retakes__isnull=True,
            candidate__erased_at__isnull=True,
        )
        .filter(Exists(published))
        .exclude(Exists(asked))
        .select_related("candidate", "referentiel")
        .order_by("pk")
    )
    sent_keys = set(
        CandidateNotification.objects.filter(kind=CandidateNotification.Kind.RATTRAPAGE).values_list(
            "key", flat=True
        )
    )
    opened = closing = 0
    for dossier in dossiers:
        open_key = f"rattrapage:{dossier.public_id}:ouverture"
        if open_key in sent_keys and not dossier.referentiel.regle:
            continue  # told of the opening; without a règle the window has no end to announce
        window = rattrapage_window_after_publication(dossier, today=today)
        if not window["open"]:
            continue
        limit = window["limit"]
        close_key = f"rattrapage:{dossier.public_id}:cloture:{limit.isoformat() if limit else ''}"
        days = (limit - today).days if limit else None
        if days is not None and 0 <= days <= RATTRAPAGE_CLOSING_NOTICE_DAYS:
            if close_key not in sent_keys:
                closing += int(_rattrapage_notice(dossier, window, key=close_key, days=days))
        elif open_key not in sent_keys:
            opened += int(_rattrapage_notice(dossier, window, key=open_key))
    return {"ouvertures": opened, "clotures": closing}


def _rattrapage_notice(dossier: Dossier, window: dict, *, key: str, days: int | None = None) -> bool:
    ref, limit = dossier.referentiel, window["limit"]
    blocs = [f"– {b.code} — {b.intitule}" for b in window["blocs"] if not b.implicite]
    link = site_url(
        reverse(
            "espace_rattrapage",
            kwargs={"org_slug": current_organisation().slug, "dossier_id": dossier.public_id},
        )
    )
    motifs = ", ".join(label.lower() for label in RattrapageRequest.Motif.labels)
    if days is None:
        subject = f"Rattrapage : vous pouvez en faire la demande — {certification_libelle(ref)}"
        first = (
            f"Après la délibération du jury du {date_fr(dossier.date_deliberation)} sur votre dossier "
            f"« {certification_libelle(ref)} », vous pouvez demander un rattrapage"
            + (f", jusqu'au {date_fr(limit)}." if limit else ".")
        )
    else:
        subject = f"Rattrapage : plus que {days} jour{'s' if days > 1 else ''} pour en faire la demande — {certification_libelle(ref)}"
        first = (
            f"Votre délai pour demander un rattrapage de « {certification_libelle(ref)} » se termine le "
            f"{date_fr(limit)}."
        )
    lines = [first]
    if blocs:
        lines += ["Blocs que vous pouvez repasser :", *blocs]
    lines.append(f"Faites votre demande écrite depuis votre espace candidat (motifs recevables : {motifs}).")
    return notify(
        candidate=dossier.candidate,
        kind=CandidateNotification.Kind.RATTRAPAGE,
        key=key,
        subject=subject,
        lines=lines,
        link=link,
    )


# --- figures: the centre's response rates and its transmission to the certificateur -----------


def _rate(num: int, den: int) -> Decimal | None:
    return (Decimal(100) * num / den).quantize(Decimal("0.1")) if den else None


def centre_figures() -> list[dict]:
    """Per certification and year of certification, in the active centre: certified (of which
    VAE), surveys sent/answered at 6 months and 2 years, response and insertion rates.

    Insertion rates over the respondents: at 6 months every job counts (TAUX_INSERTION_GLOBAL_6MOIS),
    at 2 years only a job in relation with the certification (TAUX_INSERTION_METIER_2ANS)."""
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractYear

    certified = (
        Dossier.objects.filter(status=Dossier.Status.DELIBERE, decision=Dossier.Decision.CERTIFIE)
        .annotate(annee=ExtractYear("date_deliberation"))
        .values("referentiel_id", "referentiel__code", "referentiel__intitule", "annee")
        .annotate(n=Count("id"), vae=Count("id", filter=Q(voie_acces=Dossier.VoieAcces.VAE)))
        .order_by("referentiel__code", "-annee")
    )
    surveys = (
        Enquete.objects.filter(dossier__decision=Dossier.Decision.CERTIFIE)
        .annotate(annee=ExtractYear("dossier__date_deliberation"))
        .values("dossier__referentiel_id", "annee", "kind")
        .annotate(
            envoyees=Count("id", filter=Q(sent_at__isnull=False)),
            repondants=Count("id", filter=Q(answered_at__isnull=False)),
            emploi=Count("id", filter=Q(answered_at__isnull=False, situation=Situation.EMPLOI)),
            metier=Count("id", filter=Q(answered_at__isnull=False, situation=Situation.EMPLOI, en_lien=True)),
        )
        .order_by()
    )
    by_key = {(s["dossier__referentiel_id"], s["annee"], s["kind"]): s for s in surveys}
    rows = []
    for c in certified:
        six = by_key.get((c["referentiel_id"], c["annee"], Enquete.Kind.SIX_MOIS), {})
        two = by_key.get((c["referentiel_id"], c["annee"], Enquete.Kind.DEUX_ANS), {})
        row = {
            "referentiel_id": c["referentiel_id"],
            "code": c["referentiel__code"],
            "intitule": c["referentiel__intitule"],
            "annee": c["annee"],
            "nombre_certifies": c["n"],
            "nombre_certifies_vae": c["vae"],
            "enquetes_6m": six.get("envoyees", 0),
            "repondants_6m": six.get("repondants", 0),
            "en_emploi_6m": six.get("emploi", 0),
            "enquetes_2a": two.get("envoyees", 0),
            "repondants_2a": two.get("repondants", 0),
            "en_emploi_metier_2a": two.get("metier", 0),
        }
        row["taux_reponse_6m"] = _rate(row["repondants_6m"], row["enquetes_6m"])
        row["taux_reponse_2a"] = _rate(row["repondants_2a"], row["enquetes_2a"])
        row["taux_insertion_6m"] = _rate(row["en_emploi_6m"], row["repondants_6m"])
        row["taux_insertion_metier_2a"] = _rate(row["en_emploi_metier_2a"], row["repondants_2a"])
        rows.append(row)
    return rows


TRANSMITTED_FIELDS = (
    "nombre_certifies",
    "nombre_certifies_vae",
    "enquetes_6m",
    "repondants_6m",
    "en_emploi_6m",
    "enquetes_2a",
    "repondants_2a",
    "en_emploi_metier_2a",
)


@transaction.atomic
def figures_transmit(*, by: Actor, code: str, annee: int) -> Transmission:
    """Send one certification-year's figures to the certificateur (a new row each time: the
    certificateur reads the latest)."""
    row = next((r for r in centre_figures() if r["code"] == code and r["annee"] == annee), None)
    if row is None:
        raise ApplicationError(f"Aucun certifié de {code} en {annee} dans ce centre : rien à transmettre.")
    transmission = Transmission.objects.create(
        organisation=current_organisation(),
        referentiel_id=row["referentiel_id"],
        annee=annee,
        transmitted_by=actor_user(by),
        **{f: row[f] for f in TRANSMITTED_FIELDS},
    )
    audit_record(actor=actor_user(by), action="suivi.transmit", obj=transmission, message=f"{code} {annee}")
    return transmission
