"""Reads on candidates and dossiers (inside ``tenant_context``): 404 for 'missing' and 'not yours' alike."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils.text import Truncator

from candidates import hooks
from candidates.models import (
    Candidate,
    Dossier,
    DossierBloc,
    DossierModalite,
    DossierTransition,
    Entreprise,
    ImportJob,
    Piece,
    Tuteur,
)
from candidates.search import candidate_word
from core.actors import Actor, actor_user
from organisations.services import audit_record
from referentiels.models import Bloc, Capacite, ModaliteType, Referentiel
from referentiels.selectors import referentiel_list, referentiel_visible_q

SORTS = {
    "nom": ("nom_naissance", "prenom1", "pk"),
    "-nom": ("-nom_naissance", "-prenom1", "-pk"),
    "naissance": ("naissance_annee", "naissance_mois", "naissance_jour", "pk"),
    "-naissance": ("-naissance_annee", "-naissance_mois", "-naissance_jour", "-pk"),
    "cree": ("created_at", "pk"),
    "-cree": ("-created_at", "-pk"),
}


# Référentiel columns a dossier row never shows (JSON and long text), deferred on lists.
REFERENTIEL_HEAVY_FIELDS = tuple(
    f"referentiel__{name}" for name in ("regle", "source", "codes_nsf", "codes_rome", "objectif")
)


@dataclass
class CandidateFilters:
    """The list's filters, shared by the page, its export and the API."""

    q: str = ""
    naissance: str = ""  # dd/mm/yyyy, mm/yyyy or yyyy
    referentiel: str = ""  # code
    status: str = ""
    decision: str = ""
    voie_acces: str = ""
    tiers_temps: bool | None = None
    session: str = ""  # public_id of a session d'examen
    candidate: str = ""  # public_id of a candidate (the dossier list)
    sort: str = "nom"
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_params(cls, params) -> "CandidateFilters":
        tiers = params.get("tiers_temps", "")
        filters = cls(
            q=params.get("q", "").strip()[:100],
            naissance=params.get("naissance", "").strip(),
            referentiel=params.get("referentiel", "").strip(),
            status=params.get("status", "").strip(),
            decision=params.get("decision", "").strip(),
            voie_acces=params.get("voie_acces", "").strip(),
            tiers_temps=True
            if tiers in ("1", "true", "oui")
            else False
            if tiers in ("0", "false", "non")
            else None,
            session=params.get("session", "").strip(),
            candidate=params.get("candidate", "").strip(),
            sort=params.get("sort", "nom") if params.get("sort", "nom") in SORTS else "nom",
        )
        if filters.session:
            try:
                uuid.UUID(filters.session)
            except ValueError:
                filters.errors["session"] = f"Session inconnue : « {filters.session[:40]} »."
        if filters.candidate:
            try:
                uuid.UUID(filters.candidate)
            except ValueError:
                filters.errors["candidate"] = f"Candidat inconnu : « {filters.candidate[:40]} »."
        if filters.status and filters.status not in Dossier.Status.values:
            filters.errors["status"] = f"État inconnu : « {filters.status} »."
        if filters.naissance and parse_birth(filters.naissance) is None:
            filters.errors["naissance"] = (
                "Date de naissance à saisir en jj/mm/aaaa, mm/aaaa ou aaaa (ou aaaa-mm-jj, aaaa-mm)."
            )
        return filters


def parse_birth(text: str) -> tuple[int, int | None, int | None] | None:
    """``dd/mm/yyyy`` → (y, m, d); ``mm/yyyy`` → (y, m, None); ``yyyy`` → (y, None, None)."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if iso:  # ISO 8601, as the API writes it: aaaa-mm-jj or aaaa-mm
        year, month = int(iso.group(1)), int(iso.group(2))
        day = int(iso.group(3)) if iso.group(3) else None
        try:
            dt.date(year, month, day or 1)
        except ValueError:
            return None
        return year, month, day
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        day, month, year = (int(x) for x in m.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            return None
        return year, month, day
    m = re.fullmatch(r"(\d{1,2})/(\d{4})", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(2)), int(m.group(1)), None
    m = re.fullmatch(r"\d{4}", text)
    if m:
        return int(text), None, None
    return None


def _dossier_q(filters: CandidateFilters) -> Q | None:
    q = Q()
    if filters.referentiel:
        try:  # its id (that version) or its code (every version)
            q &= Q(referentiel__public_id=uuid.UUID(filters.referentiel))
        except ValueError:
            q &= Q(referentiel__code=filters.referentiel)
    if filters.status and not filters.errors.get("status"):
        q &= Q(status=filters.status)
    if filters.decision:
        q &= Q(decision=filters.decision)
    if filters.voie_acces:
        q &= Q(voie_acces=filters.voie_acces)
    if filters.tiers_temps is not None:
        q &= Q(amenagement_tiers_temps=filters.tiers_temps)
    session = hooks.session_filter()
    if filters.session and session is not None:
        q &= Q(pk__in=[]) if filters.errors.get("session") else session.q(filters.session)
    return q if q.children else None


def dossier_ids_matching(filters: CandidateFilters) -> set[int] | None:
    """Ids of the dossiers the dossier filters select (``None``: no dossier filter), for the export."""
    dossier_q = _dossier_q(filters)
    return None if dossier_q is None else set(Dossier.objects.filter(dossier_q).values_list("pk", flat=True))


def session_choices() -> list[tuple[str, str]]:
    """The sessions d'examen of the active centre, for the list's filter (empty without evaluations)."""
    session = hooks.session_filter()
    return session.choices() if session is not None else []


def visible_dossiers_q(actor) -> Q | None:
    """What ``actor`` (a membership) may see of the centre's dossiers: ``None`` = everything."""
    if actor is None or getattr(actor, "role", None) in hooks.FULL_ACCESS_ROLES:
        return None
    q = Q(pk__in=[])
    for rule in hooks.dossier_visibility_rules(actor.role):
        q |= rule(actor)
    return q


def _visible(qs: QuerySet, actor) -> QuerySet:
    """Restrict a queryset of dossiers, candidates or pièces to what ``actor`` may see."""
    q = visible_dossiers_q(actor)
    if q is None:
        return qs
    if qs.model is Dossier:
        return qs.filter(q)
    if qs.model is Candidate:
        return qs.filter(Exists(Dossier.objects.filter(q, candidate=OuterRef("pk"))))
    return qs.filter(dossier__in=Dossier.objects.filter(q))


def candidate_list(*, filters: CandidateFilters | None = None, actor=None) -> QuerySet[Candidate]:
    """Candidates of the active centre matching ``filters``, with their dossiers prefetched (constant queries).

    With ``actor`` (a membership), only candidates with a dossier the actor may see, and only those dossiers.
    """
    filters = filters or CandidateFilters()
    qs = _visible(Candidate.objects.all(), actor)
    for word in filters.q.split():
        qs = qs.filter(candidate_word(word))  # names and e-mail, through the trigram index
    birth = parse_birth(filters.naissance) if filters.naissance else None
    if birth:
        year, month, day = birth
        qs = qs.filter(naissance_annee=year)
        if month:
            qs = qs.filter(naissance_mois=month)
        if day:
            qs = qs.filter(naissance_jour=day)
    dossier_q = _dossier_q(filters)
    if dossier_q is not None:
        qs = qs.filter(Exists(Dossier.objects.filter(dossier_q, candidate=OuterRef("pk"))))
    # The list shows each dossier's référentiel code and version only: not its JSON (règle,
    # source data, codes), which would be decoded once per dossier row.
    dossiers = _visible(
        Dossier.objects.select_related("referentiel").defer(*REFERENTIEL_HEAVY_FIELDS), actor
    ).order_by("-attempt", "-created_at")
    return qs.prefetch_related(Prefetch("dossiers", queryset=dossiers)).order_by(*SORTS[filters.sort])


def candidate_get(*, public_id, actor: Actor) -> Candidate:
    """A candidate of the active centre, 404 unless ``actor`` may see one of their dossiers."""
    return _get(_visible(Candidate.objects.all(), actor), public_id)


def dossier_list(*, filters: CandidateFilters | None = None, actor=None) -> QuerySet[Dossier]:
    filters = filters or CandidateFilters()
    qs = _visible(Dossier.objects.select_related("candidate", "referentiel", "entreprise", "tuteur"), actor)
    dossier_q = _dossier_q(filters)
    if dossier_q is not None:
        qs = qs.filter(dossier_q)
    if filters.candidate:
        qs = qs.filter(candidate__public_id=filters.candidate)
    for word in filters.q.split():
        # The candidate's names and e-mail (trigram index), as a semi-join on the candidate's id.
        qs = qs.filter(candidate_word(word, field="candidate"))
    birth = parse_birth(filters.naissance) if filters.naissance else None
    if birth:
        year, month, day = birth
        qs = qs.filter(candidate__naissance_annee=year)
        if month:
            qs = qs.filter(candidate__naissance_mois=month)
        if day:
            qs = qs.filter(candidate__naissance_jour=day)
    return qs.order_by("-created_at", "-pk")


def _get(qs: QuerySet, public_id):
    try:
        return qs.get(public_id=public_id)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


# --- access by actor ---------------------------------------------------------------------------
# Every getter by id takes the actor (Zulip's ``access_*`` shape): it fetches the row of the active
# centre and answers 404 — « missing » and « not yours » alike — unless ``actor`` may see it under
# the object rules above (``visible_dossiers_q``). ``actor=None`` is the system (tasks, the demo):
# it must be written out, so a view that forgets the membership is visible in review. No unscoped
# getter by id is left: services receive the objects the views fetched for the actor.

_DOSSIER_RELATED = ("candidate", "referentiel", "entreprise", "tuteur", "previous_attempt")


def dossier_get(*, public_id, actor: Actor) -> Dossier:
    """A dossier of the active centre, 404 unless ``actor`` may see it (access not logged: use
    :func:`dossier_get_for_actor` where the dossier is shown)."""
    return _get(_visible(Dossier.objects.select_related(*_DOSSIER_RELATED), actor), public_id)


def dossier_get_for_actor(*, public_id, actor: Actor) -> Dossier:
    """A dossier for someone about to see it (404 unless visible to them); the access is logged (RGPD)."""
    dossier = _get(
        _visible(
            # organisation: the transition guards check the centre's habilitation.
            Dossier.objects.select_related(*_DOSSIER_RELATED, "organisation"),
            actor,
        ),
        public_id,
    )
    audit_record(
        actor=actor_user(actor),
        action="dossier.view",
        obj=dossier,
        message=str(dossier.candidate),
    )
    return dossier


def dossier_with_details(dossier: Dossier) -> Dossier:
    """``dossier`` with what its API detail shows prefetched: blocs visés with their bloc,
    modalités with their capacité and modalité, transitions with their author (constant queries)."""
    prefetch_related_objects(
        [dossier],
        Prefetch("blocs_vises", queryset=DossierBloc.objects.select_related("bloc", "portefeuille_piece")),
        Prefetch(
            "modalites_choisies", queryset=DossierModalite.objects.select_related("capacite", "modalite")
        ),
        Prefetch("transitions", queryset=DossierTransition.objects.select_related("by")),
    )
    return dossier


# --- least privilege inside a centre (issue 16) ------------------------------------------------
# One layer for pages and API: beyond the role's capabilities (organisations.roles), what a member
# sees of the centre's dossiers is ``visible_dossiers_q`` (évaluateur: their épreuves' candidates,
# jury member: their juries'), tuteurs' contacts only to those working one of the tuteur's dossiers,
# and health data — the « justificatif d'aménagement » and the précisions on aménagements — only to
# the centre's administrators and gestionnaires.

#: Pièce kinds that are health data (a disability proof): administrators and gestionnaires only.
HEALTH_PIECE_KINDS = frozenset({Piece.Kind.JUSTIFICATIF_AMENAGEMENT})


def may_see_health_data(actor) -> bool:
    """``actor`` (a membership, or None for internal calls) may read aménagement justifications."""
    return actor is None or getattr(actor, "role", None) in hooks.FULL_ACCESS_ROLES


def visible_pieces(qs: QuerySet, actor) -> QuerySet:
    """``qs`` of pièces without the health kinds unless ``actor`` may see them."""
    return qs if may_see_health_data(actor) else qs.exclude(kind__in=HEALTH_PIECE_KINDS)


def entreprise_list() -> QuerySet[Entreprise]:
    return Entreprise.objects.annotate(nb_dossiers=Count("dossiers")).order_by("raison_sociale")


def entreprise_get(*, public_id, actor: Actor) -> Entreprise:
    """An entreprise of the active centre: the list shows every one to whoever holds the
    capability (an entreprise is no one's personal data), so the object rule is the centre's."""
    del actor  # same rule as entreprise_list: the capability checked by the view is the whole rule
    return _get(Entreprise.objects.all(), public_id)


def _visible_tuteurs(qs: QuerySet, actor) -> QuerySet:
    """A tuteur's contacts go only to those working one of the tuteur's dossiers."""
    q = visible_dossiers_q(actor)
    if q is None:
        return qs
    return qs.filter(Exists(Dossier.objects.filter(q, tuteur=OuterRef("pk"))))


def tuteur_list(*, actor=None) -> QuerySet[Tuteur]:
    return _visible_tuteurs(Tuteur.objects.select_related("entreprise"), actor).order_by("nom", "prenom")


def tuteur_get(*, public_id, actor: Actor) -> Tuteur:
    return _get(_visible_tuteurs(Tuteur.objects.select_related("entreprise"), actor), public_id)


def piece_get(*, public_id, actor: Actor) -> Piece:
    """A pièce of a dossier ``actor`` may see, health kinds only to those who may read them."""
    qs = visible_pieces(Piece.objects.select_related("dossier", "dossier__candidate"), actor)
    return _get(_visible(qs, actor), public_id)


def import_job_get(*, public_id, actor: Actor) -> ImportJob:
    """An import of the active centre: its rows are every candidate of the file, so only those
    who see every dossier of the centre (administrators, gestionnaires) may open one."""
    qs = ImportJob.objects.all()
    if visible_dossiers_q(actor) is not None:
        qs = qs.none()
    return _get(qs, public_id)


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at")


def referentiels_for_dossiers(*, organisation) -> QuerySet[Referentiel]:
    """Published versions the centre may register candidates for today."""
    return referentiel_list(organisation=organisation, status=Referentiel.Status.PUBLISHED)


def referentiel_codes_for_dossiers(*, organisation) -> list[str]:
    """Codes of ``referentiels_for_dossiers``, for the list's filter: one light query (no counts)."""
    return list(
        Referentiel.objects.filter(referentiel_visible_q(organisation), status=Referentiel.Status.PUBLISHED)
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


@dataclass
class CapaciteRow:
    capacite: Capacite
    allowed: list
    chosen: object | None
    #: (modalité id, label, type) of ``allowed``, for the page's select: a bloc's modalités are
    #: shared by its capacités, each label is built once per page, not once per capacité in the
    #: template. The type lets « même modalité pour tout le bloc » find each capacité's option.
    options: list = field(default_factory=list)
    #: the modalité recorded for the capacité (``chosen`` is None when it is not one ``allowed``)
    chosen_id: int | None = None


@dataclass
class BlocRow:
    bloc: Bloc
    vise: DossierBloc | None
    capacites: list[CapaciteRow]

    @cached_property
    def bulk_types(self) -> list[tuple[str, str]]:
        """Modalité types offered to several capacités of the bloc (« même modalité pour tout le
        bloc »), in the référentiel's order; none when no capacité has a choice. Computed once
        per row (the page reads it several times), labels from the choices' table (a model's
        ``get_type_display`` rebuilds a hashable copy of every choice on each call)."""
        if all(len(cr.allowed) < 2 for cr in self.capacites):
            return []
        seen: dict[str, str] = {}
        for cr in self.capacites:
            for m in cr.allowed:
                if m.type not in seen:
                    seen[m.type] = modalite_type_label(m.type)
        return list(seen.items())


_MODALITE_TYPE_LABELS = {value: str(label) for value, label in ModaliteType.choices}


def modalite_type_label(value: str) -> str:
    """``Modalite.get_type_display()`` without its per-call cost (a page labels dozens)."""
    return _MODALITE_TYPE_LABELS.get(value, value)


def dossier_grid(*, dossier: Dossier) -> list[BlocRow]:
    """The référentiel's blocs → capacités with allowed and chosen modalités, for the dossier page (4 queries)."""
    from candidates.services import allowed_modalites

    blocs = list(
        Bloc.objects.filter(referentiel=dossier.referentiel_id).prefetch_related(
            "modalites", "capacites__modalites"
        )
    )
    vises = {db.bloc_id: db for db in DossierBloc.objects.filter(dossier=dossier)}
    chosen = {dm.capacite_id: dm.modalite_id for dm in DossierModalite.objects.filter(dossier=dossier)}
    labels: dict[int, str] = {}

    def label(modalite) -> str:
        if modalite.pk not in labels:
            text = modalite_type_label(modalite.type)
            if modalite.intitule:
                text += f" — {Truncator(modalite.intitule).chars(60)}"
            labels[modalite.pk] = text
        return labels[modalite.pk]

    rows = []
    for bloc in blocs:
        capacites = []
        for capacite in bloc.capacites.all():
            capacite.bloc = bloc
            allowed = allowed_modalites(capacite)
            choice = next((m for m in allowed if m.pk == chosen.get(capacite.pk)), None)
            options = [(m.pk, label(m), m.type) for m in allowed]
            capacites.append(
                CapaciteRow(
                    capacite=capacite,
                    allowed=allowed,
                    chosen=choice,
                    options=options,
                    chosen_id=chosen.get(capacite.pk),
                )
            )
        rows.append(BlocRow(bloc=bloc, vise=vises.get(bloc.pk), capacites=capacites))
    return rows


def grid_plan_snapshot(grid: list[BlocRow]):
    """The dossier's plan as ``dossier_grid`` read it, for the transition guards of the same page
    (``services.dossier_transition_blockers(plan=...)``): no second read of the same rows."""
    from candidates.services import PlanSnapshot

    return PlanSnapshot(
        vises={row.bloc.pk: row.vise.acquis_anterieur for row in grid if row.vise is not None},
        chosen=frozenset(cr.capacite.pk for row in grid for cr in row.capacites if cr.chosen_id is not None),
        capacites={row.bloc.pk: [(cr.capacite.pk, cr.capacite.code) for cr in row.capacites] for row in grid},
    )


def dossier_counts(*, actor=None) -> dict:
    """Dossiers of the active centre per status and per référentiel code (dashboard); with
    ``actor``, only those the actor may see (an évaluateur counts its own dossiers)."""
    dossiers = _visible(Dossier.objects.all(), actor)
    per_status = dict(dossiers.values_list("status").annotate(n=Count("pk")).order_by())
    per_referentiel = list(
        dossiers.values("referentiel__code").annotate(n=Count("pk")).order_by("-n", "referentiel__code")
    )
    return {"per_status": per_status, "per_referentiel": per_referentiel}


def tuteur_known_name(email: str) -> dict | None:
    """The name typed for a tuteur of this address (the invitation form pre-fills it)."""
    known = Tuteur.objects.filter(email__iexact=email).values("prenom", "nom").order_by("-pk").first()
    return {"first_name": known["prenom"], "last_name": known["nom"]} if known else None
