"""Writes on the national catalogue: import, export, versioning, publication, habilitations.

Every write is atomic and checks the version is a draft; the database trigger of migration
0002 backs this up for any other path.
"""

import datetime as dt
import re

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import FORMAT, FormatError, document_check, modalite_check
from referentiels.jury_composition import composition_parse
from referentiels.models import (
    Activite,
    Bloc,
    Capacite,
    Critere,
    Enregistrement,
    Habilitation,
    Modalite,
    Referentiel,
)
from referentiels.regles import regle_rename_bloc


def _require_certificateur(organisation: Organisation) -> None:
    if organisation.kind != Organisation.Kind.CERTIFICATEUR:
        raise ApplicationError("Seul un certificateur peut gérer ses référentiels.")


def _require_owner(referentiel: Referentiel, organisation: Organisation) -> None:
    if referentiel.certificateur_id != organisation.pk:
        raise ApplicationError("Ce référentiel appartient à un autre certificateur.")


def _require_draft(referentiel: Referentiel) -> None:
    if referentiel.status != Referentiel.Status.DRAFT:
        raise ApplicationError(
            f"{referentiel.code} v{referentiel.version} est {referentiel.get_status_display().lower()} : "
            "il ne peut plus être modifié. Créez une nouvelle version."
        )


def _modalite_from(data: dict, *, referentiel, order: int, bloc=None, capacite=None) -> Modalite:
    return Modalite(
        referentiel=referentiel,
        bloc=bloc,
        capacite=capacite,
        type=data["type"],
        intitule=data["intitule"],
        duree_minutes=data["duree_minutes"],
        points=data["points"],
        forme=data["forme"],
        notes=data["notes"],
        double_correction=data.get("double_correction", False),
        order=order,
    )


def _write_structure(referentiel: Referentiel, doc: dict) -> None:
    """Create blocs → capacités → critères, modalités and activités in bulk (a few queries)."""
    blocs = Bloc.objects.bulk_create(
        [
            Bloc(
                referentiel=referentiel,
                code=b["code"],
                intitule=b["intitule"],
                implicite=b["implicite"],
                order=i,
            )
            for i, b in enumerate(doc["blocs"])
        ]
    )
    capacites, cap_data = [], []
    for bloc, b in zip(blocs, doc["blocs"], strict=True):
        for k, c in enumerate(b["capacites"]):
            capacites.append(
                Capacite(
                    referentiel=referentiel,
                    bloc=bloc,
                    code=c["code"],
                    intitule=c["intitule"],
                    conditions=c["conditions"],
                    order=k,
                )
            )
            cap_data.append(c)
    capacites = Capacite.objects.bulk_create(capacites)
    Critere.objects.bulk_create(
        [
            Critere(capacite=cap, texte=r["texte"], groupe=r["groupe"], order=i)
            for cap, c in zip(capacites, cap_data, strict=True)
            for i, r in enumerate(c["criteres"])
        ]
    )
    modalites = [
        _modalite_from(m, referentiel=referentiel, bloc=bloc, order=i)
        for bloc, b in zip(blocs, doc["blocs"], strict=True)
        for i, m in enumerate(b["modalites"])
    ] + [
        _modalite_from(m, referentiel=referentiel, capacite=cap, order=i)
        for cap, c in zip(capacites, cap_data, strict=True)
        for i, m in enumerate(c["modalites"])
    ]
    Modalite.objects.bulk_create(modalites)
    by_code = {cap.code: cap for cap in capacites}
    activites = Activite.objects.bulk_create(
        [
            Activite(referentiel=referentiel, code=a["code"], intitule=a["intitule"], order=i)
            for i, a in enumerate(doc["activites"])
        ]
    )
    Through = Activite.capacites.through
    Through.objects.bulk_create(
        [
            Through(activite=act, capacite=by_code[code])
            for act, a in zip(activites, doc["activites"], strict=True)
            for code in a["capacites"]
        ]
    )


def _apply_header(referentiel: Referentiel, doc: dict) -> None:
    referentiel.kind = doc["kind"]
    referentiel.intitule = doc["intitule"]
    referentiel.certificateur_nom = doc["certificateur"]["nom"]
    referentiel.certificateur_siret = doc["certificateur"]["siret"]
    referentiel.niveau_national = doc["niveau_national"]
    referentiel.niveau_europeen = doc["niveau_europeen"]
    referentiel.codes_nsf = doc["codes_nsf"]
    referentiel.codes_rome = doc["codes_rome"]
    referentiel.objectif = doc["objectif"]
    referentiel.date_enregistrement = (
        dt.date.fromisoformat(doc["date_enregistrement"]) if doc["date_enregistrement"] else None
    )
    referentiel.date_fin_enregistrement = (
        dt.date.fromisoformat(doc["date_fin_enregistrement"]) if doc["date_fin_enregistrement"] else None
    )
    referentiel.regle = doc["regle"]


@transaction.atomic
def referentiel_import(
    *, doc: dict, certificateur: Organisation, replace_draft: bool = False, source: dict | None = None
) -> Referentiel:
    """Create the draft version ``doc`` describes (already checked by ``document_parse``).

    An existing version with the same code and number is refused, unless it is a draft of the
    same certificateur and ``replace_draft`` is set: its content is then replaced.
    """
    _require_certificateur(certificateur)
    doc = document_check(doc)
    existing = Referentiel.objects.filter(code=doc["code"], version=doc["version"]).first()
    if existing is not None:
        if not replace_draft:
            raise ApplicationError(f"{doc['code']} v{doc['version']} existe déjà.", field="version")
        _require_owner(existing, certificateur)
        _require_draft(existing)
        _clear_structure(existing)
        referentiel = existing
    else:
        other_owner = (
            Referentiel.objects.filter(code=doc["code"]).exclude(certificateur=certificateur).exists()
        )
        if other_owner:
            raise ApplicationError(
                f"Le code {doc['code']} appartient à un autre certificateur.", field="code"
            )
        referentiel = Referentiel(certificateur=certificateur, code=doc["code"], version=doc["version"])
    _apply_header(referentiel, doc)
    if source is not None:
        referentiel.source = source
    # Uniqueness was checked above and the database constraints back it up: skip the
    # per-constraint queries of full_clean (they dominated bulk RNCP imports).
    referentiel.full_clean(exclude=["certificateur"], validate_unique=False, validate_constraints=False)
    referentiel.save()
    _write_structure(referentiel, doc)
    return referentiel


class _DryRun(Exception):
    """Rolls a dry run's savepoint back."""


def referentiel_import_check(*, doc: dict, certificateur: Organisation, replace_draft: bool = False) -> bool:
    """Raise what :func:`referentiel_import` would refuse (``ApplicationError``, ``FormatError``),
    writing nothing: the import itself runs in a savepoint that is always rolled back, so a
    preview and the import can never disagree. Returns whether it would replace an existing draft."""
    doc = document_check(doc)
    try:
        with transaction.atomic():
            # Read before the import: a draft it replaces exists; any other existing version raises below.
            replaces = (
                replace_draft
                and Referentiel.objects.filter(code=doc["code"], version=doc["version"]).exists()
            )
            referentiel_import(doc=doc, certificateur=certificateur, replace_draft=replace_draft)
            raise _DryRun
    except _DryRun:
        pass
    return replaces


def referentiels_create_many(
    *, items: list[tuple[dict, dict | None]], certificateur: Organisation
) -> list[Referentiel]:
    """Create new draft versions in bulk: ``items`` are ``(doc, source)`` pairs whose
    ``(code, version)`` the caller knows to be free and whose code belongs to ``certificateur``
    (the RNCP import checks both with one query per chunk). Same checks and rows as
    :func:`referentiel_import`, in a constant number of queries for the whole batch."""
    _require_certificateur(certificateur)
    referentiels, docs = [], []
    for doc, source in items:
        doc = document_check(doc)
        referentiel = Referentiel(certificateur=certificateur, code=doc["code"], version=doc["version"])
        _apply_header(referentiel, doc)
        if source is not None:
            referentiel.source = source
        referentiel.full_clean(exclude=["certificateur"], validate_unique=False, validate_constraints=False)
        referentiels.append(referentiel)
        docs.append(doc)
    if not referentiels:
        return []
    referentiels = Referentiel.objects.bulk_create(referentiels)
    _write_structures(list(zip(referentiels, docs, strict=True)))
    return referentiels


HEADER_FIELDS = [
    "kind",
    "intitule",
    "certificateur_nom",
    "certificateur_siret",
    "niveau_national",
    "niveau_europeen",
    "codes_nsf",
    "codes_rome",
    "objectif",
    "date_enregistrement",
    "date_fin_enregistrement",
    "regle",
    "source",
    "updated_at",
]


def referentiels_replace_drafts_many(
    *, items: list[tuple[dict, dict | None]], certificateur: Organisation
) -> list[Referentiel]:
    """Replace the content of existing drafts in bulk: ``items`` are ``(doc, source)`` pairs whose
    ``(code, version)`` is a draft of ``certificateur`` (the RNCP import found it so). Same checks
    and rows as :func:`referentiel_import` with ``replace_draft``, in a constant number of queries."""
    _require_certificateur(certificateur)
    docs = [(document_check(doc), source) for doc, source in items]
    if not docs:
        return []
    keys = Q()
    for doc, _source in docs:
        keys |= Q(code=doc["code"], version=doc["version"])
    existing = {(r.code, r.version): r for r in Referentiel.objects.select_for_update().filter(keys)}
    referentiels = []
    for doc, source in docs:
        referentiel = existing.get((doc["code"], doc["version"]))
        if referentiel is None:
            raise ApplicationError(
                f"{doc['code']} v{doc['version']} n'existe plus : relancez l'import.", field="version"
            )
        _require_owner(referentiel, certificateur)
        _require_draft(referentiel)
        _apply_header(referentiel, doc)
        if source is not None:
            referentiel.source = source
        referentiel.full_clean(exclude=["certificateur"], validate_unique=False, validate_constraints=False)
        referentiel.updated_at = timezone.now()
        referentiels.append(referentiel)
    _delete_structures([r.pk for r in referentiels])
    # One UPDATE for the batch (its CASE over 14 columns costs less than a round trip per fiche).
    Referentiel.objects.bulk_update(referentiels, HEADER_FIELDS)
    _write_structures([(r, doc) for r, (doc, _source) in zip(referentiels, docs, strict=True)])
    return referentiels


def _delete_structures(referentiel_ids: list[int]) -> None:
    """Delete the blocs, capacités, critères, modalités and activités of draft référentiels in
    six statements. Plain SQL, not the ORM's collector (it loads every row first): nothing else
    points at a draft's structure (dossiers use published versions), and were it so the
    database's foreign keys would refuse the delete."""
    statements = [
        "DELETE FROM referentiels_activite_capacites WHERE activite_id IN"
        " (SELECT id FROM referentiels_activite WHERE referentiel_id = ANY(%s))",
        "DELETE FROM referentiels_activite WHERE referentiel_id = ANY(%s)",
        "DELETE FROM referentiels_modalite WHERE referentiel_id = ANY(%s)",
        "DELETE FROM referentiels_critere WHERE capacite_id IN"
        " (SELECT id FROM referentiels_capacite WHERE referentiel_id = ANY(%s))",
        "DELETE FROM referentiels_capacite WHERE referentiel_id = ANY(%s)",
        "DELETE FROM referentiels_bloc WHERE referentiel_id = ANY(%s)",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [referentiel_ids])


def _write_structures(pairs: list[tuple[Referentiel, dict]]) -> None:
    """:func:`_write_structure` for many référentiels at once (one bulk insert per table)."""
    blocs, bloc_data = [], []
    for referentiel, doc in pairs:
        for i, b in enumerate(doc["blocs"]):
            blocs.append(
                Bloc(
                    referentiel=referentiel,
                    code=b["code"],
                    intitule=b["intitule"],
                    implicite=b["implicite"],
                    order=i,
                )
            )
            bloc_data.append((referentiel, b))
    blocs = Bloc.objects.bulk_create(blocs)
    capacites, cap_data = [], []
    for bloc, (referentiel, b) in zip(blocs, bloc_data, strict=True):
        for k, c in enumerate(b["capacites"]):
            capacites.append(
                Capacite(
                    referentiel=referentiel,
                    bloc=bloc,
                    code=c["code"],
                    intitule=c["intitule"],
                    conditions=c["conditions"],
                    order=k,
                )
            )
            cap_data.append((referentiel, c))
    capacites = Capacite.objects.bulk_create(capacites)
    criteres = [
        Critere(capacite=cap, texte=r["texte"], groupe=r["groupe"], order=i)
        for cap, (_ref, c) in zip(capacites, cap_data, strict=True)
        for i, r in enumerate(c["criteres"])
    ]
    if criteres:
        Critere.objects.bulk_create(criteres)
    modalites = [
        _modalite_from(m, referentiel=referentiel, bloc=bloc, order=i)
        for bloc, (referentiel, b) in zip(blocs, bloc_data, strict=True)
        for i, m in enumerate(b["modalites"])
    ] + [
        _modalite_from(m, referentiel=referentiel, capacite=cap, order=i)
        for cap, (referentiel, c) in zip(capacites, cap_data, strict=True)
        for i, m in enumerate(c["modalites"])
    ]
    if modalites:
        Modalite.objects.bulk_create(modalites)
    activites, act_data = [], []
    for referentiel, doc in pairs:
        for i, a in enumerate(doc["activites"]):
            activites.append(
                Activite(referentiel=referentiel, code=a["code"], intitule=a["intitule"], order=i)
            )
            act_data.append((referentiel, a))
    if activites:
        activites = Activite.objects.bulk_create(activites)
        by_code = {(cap.referentiel_id, cap.code): cap for cap in capacites}
        Through = Activite.capacites.through
        Through.objects.bulk_create(
            [
                Through(activite=act, capacite=by_code[(ref.pk, code)])
                for act, (ref, a) in zip(activites, act_data, strict=True)
                for code in a["capacites"]
            ]
        )


def _clear_structure(referentiel: Referentiel) -> None:
    Activite.objects.filter(referentiel=referentiel).delete()
    Modalite.objects.filter(referentiel=referentiel).delete()
    Critere.objects.filter(capacite__referentiel=referentiel).delete()
    Capacite.objects.filter(referentiel=referentiel).delete()
    Bloc.objects.filter(referentiel=referentiel).delete()


def _modalite_doc(m: Modalite) -> dict:
    doc = {
        "type": m.type,
        "intitule": m.intitule,
        "duree_minutes": m.duree_minutes,
        "points": m.points,
        "forme": m.forme,
        "notes": m.notes,
    }
    if m.double_correction:  # omitted when false: documents without it round-trip byte-identical
        doc["double_correction"] = True
    return doc


def referentiel_export(*, referentiel: Referentiel) -> dict:
    """The canonical document of a version (key order of the format), in a constant number of queries."""
    blocs = list(
        Bloc.objects.filter(referentiel=referentiel).prefetch_related(
            "modalites", "capacites__criteres", "capacites__modalites"
        )
    )
    activites = Activite.objects.filter(referentiel=referentiel).prefetch_related("capacites")
    return {
        "format": FORMAT,
        "code": referentiel.code,
        "kind": referentiel.kind,
        "version": referentiel.version,
        "intitule": referentiel.intitule,
        "certificateur": {"nom": referentiel.certificateur_nom, "siret": referentiel.certificateur_siret},
        "niveau_national": referentiel.niveau_national,
        "niveau_europeen": referentiel.niveau_europeen,
        "codes_nsf": referentiel.codes_nsf,
        "codes_rome": referentiel.codes_rome,
        "objectif": referentiel.objectif,
        "date_enregistrement": referentiel.date_enregistrement.isoformat()
        if referentiel.date_enregistrement
        else None,
        "date_fin_enregistrement": referentiel.date_fin_enregistrement.isoformat()
        if referentiel.date_fin_enregistrement
        else None,
        "blocs": [
            {
                "code": b.code,
                "intitule": b.intitule,
                "implicite": b.implicite,
                "modalites": [_modalite_doc(m) for m in b.modalites.all() if m.capacite_id is None],
                "capacites": [
                    {
                        "code": c.code,
                        "intitule": c.intitule,
                        "conditions": c.conditions,
                        "criteres": [{"texte": r.texte, "groupe": r.groupe} for r in c.criteres.all()],
                        "modalites": [_modalite_doc(m) for m in c.modalites.all()],
                    }
                    for c in b.capacites.all()
                ],
            }
            for b in blocs
        ],
        "activites": [
            {
                "code": a.code,
                "intitule": a.intitule,
                "capacites": [c.code for c in sorted(a.capacites.all(), key=lambda c: (c.bloc_id, c.order))],
            }
            for a in activites
        ],
        "regle": referentiel.regle,
    }


@transaction.atomic
def referentiel_publish(*, referentiel: Referentiel, by: Organisation) -> Referentiel:
    """Publish a draft; the version it supersedes is archived.

    Exactly one version of a code is published (a database constraint backs it), and it is the
    highest non-draft one: a draft numbered below a published or archived version is refused
    (archiving the newer version for older content would be irreversible and misleading).
    """
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    # Lock the code's versions: two drafts published at once must not both pass the check.
    rows = list(
        Referentiel.objects.select_for_update()
        .filter(code=referentiel.code)
        .values_list("pk", "version", "status")
    )
    newer = [
        v
        for pk, v, status in rows
        if pk != referentiel.pk and status != Referentiel.Status.DRAFT and v > referentiel.version
    ]
    if newer:
        raise ApplicationError(
            f"{referentiel.code} v{referentiel.version} ne peut pas être publiée : la v{max(newer)} est déjà publiée "
            "ou archivée. Créez une nouvelle version à partir de la version publiée.",
            field="version",
        )
    document_check(referentiel_export(referentiel=referentiel), f"{referentiel.code} v{referentiel.version}")
    # The superseded version is archived first: the one-published-per-code constraint is immediate.
    Referentiel.objects.filter(code=referentiel.code, status=Referentiel.Status.PUBLISHED).update(
        status=Referentiel.Status.ARCHIVED
    )
    referentiel.status = Referentiel.Status.PUBLISHED
    referentiel.published_at = timezone.now()
    referentiel.save(update_fields=["status", "published_at", "updated_at"])
    return referentiel


@transaction.atomic
def referentiel_new_version(*, referentiel: Referentiel, by: Organisation) -> Referentiel:
    """Copy a version into a new draft numbered after the highest existing version."""
    _require_owner(referentiel, by)
    if Referentiel.objects.filter(code=referentiel.code, status=Referentiel.Status.DRAFT).exists():
        raise ApplicationError(
            f"Un brouillon de {referentiel.code} existe déjà : modifiez-le ou publiez-le d'abord."
        )
    doc = referentiel_export(referentiel=referentiel)
    doc["version"] = (
        Referentiel.objects.filter(code=referentiel.code)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1
    copy = referentiel_import(doc=doc, certificateur=by)
    copy.source = referentiel.source
    copy.composition_jury = referentiel.composition_jury  # not in the exchange format: carried over
    copy.save(update_fields=["source", "composition_jury"])
    return copy


@transaction.atomic
def referentiel_update(*, referentiel: Referentiel, by: Organisation, **fields) -> Referentiel:
    """Edit a draft's header fields (intitulé, niveaux, objectif, dates)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    allowed = {
        "intitule",
        "niveau_national",
        "niveau_europeen",
        "objectif",
        "date_enregistrement",
        "date_fin_enregistrement",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(f"Champ(s) non modifiable(s) : {', '.join(sorted(unknown))}")
    for key, value in fields.items():
        setattr(referentiel, key, value)
    referentiel.full_clean()
    referentiel.save()
    return referentiel


@transaction.atomic
def capacite_update(
    *, capacite: Capacite, by: Organisation, intitule: str, conditions: str, criteres: list[dict]
) -> Capacite:
    """Edit a draft capacité: its intitulé, conditions and the full list of its critères."""
    referentiel = capacite.referentiel
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    if not intitule.strip():
        raise ApplicationError("L'intitulé de la capacité est obligatoire.", field="intitule")
    groupe_max = Critere._meta.get_field("groupe").max_length
    for i, critere in enumerate(criteres):
        if not critere.get("texte", "").strip():
            raise ApplicationError(f"Le critère n° {i + 1} est vide.", field="criteres")
        if len(critere.get("groupe", "").strip()) > groupe_max:
            raise ApplicationError(
                f"Le groupe du critère n° {i + 1} dépasse {groupe_max} caractères.", field="criteres"
            )
    capacite.intitule = intitule.strip()
    capacite.conditions = conditions.strip()
    capacite.save(update_fields=["intitule", "conditions"])
    capacite.criteres.all().delete()
    Critere.objects.bulk_create(
        [
            Critere(capacite=capacite, texte=c["texte"].strip(), groupe=c.get("groupe", "").strip(), order=i)
            for i, c in enumerate(criteres)
        ]
    )
    return capacite


def _bloc_fields_check(
    referentiel: Referentiel, *, code: str, intitule: str, exclude_pk: int | None = None
) -> tuple[str, str]:
    code, intitule = code.strip(), intitule.strip()
    if not code:
        raise ApplicationError("Le code du bloc est obligatoire.", field="code")
    if len(code) > 60:
        raise ApplicationError(f"Code du bloc trop long ({len(code)} caractères, au plus 60).", field="code")
    if not intitule:
        raise ApplicationError("L'intitulé du bloc est obligatoire.", field="intitule")
    if Bloc.objects.filter(referentiel=referentiel, code=code).exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"Un autre bloc porte déjà le code « {code} ».", field="code")
    return code, intitule


def _blocs_reorder(referentiel: Referentiel, bloc: Bloc, position: int | None) -> None:
    """Put ``bloc`` at ``position`` (1-based; ``None`` keeps its place) and number the blocs 0…n-1."""
    blocs = [
        b for b in Bloc.objects.filter(referentiel=referentiel).order_by("order", "pk") if b.pk != bloc.pk
    ]
    if position is None:
        position = (
            next((i for i, b in enumerate(blocs) if (b.order, b.pk) > (bloc.order, bloc.pk)), len(blocs)) + 1
        )
    if position < 1 or position > len(blocs) + 1:
        raise ApplicationError(f"Position invalide : entre 1 et {len(blocs) + 1}.", field="position")
    blocs.insert(position - 1, bloc)
    for i, b in enumerate(blocs):
        if b.order != i or b.pk == bloc.pk:
            b.order = i
    Bloc.objects.bulk_update(blocs, ["order"])


@transaction.atomic
def bloc_update(
    *, bloc: Bloc, by: Organisation, code: str, intitule: str, position: int | None = None
) -> Bloc:
    """Edit a draft's bloc: code, intitulé and place (1-based). A renamed bloc keeps its line
    of a points grid (the règle names blocs by code)."""
    referentiel = bloc.referentiel
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    old_code = bloc.code
    code, intitule = _bloc_fields_check(referentiel, code=code, intitule=intitule, exclude_pk=bloc.pk)
    bloc.code, bloc.intitule = code, intitule
    bloc.save(update_fields=["code", "intitule"])
    _blocs_reorder(referentiel, bloc, position)
    if code != old_code and regle_rename_bloc(referentiel.regle, old_code, code):
        referentiel.save(update_fields=["regle", "updated_at"])
    return bloc


@transaction.atomic
def bloc_create(
    *,
    referentiel: Referentiel,
    by: Organisation,
    code: str,
    intitule: str,
    capacite_code: str,
    capacite_intitule: str,
    position: int | None = None,
) -> Bloc:
    """Add a bloc to a draft, with its first capacité (a bloc holds at least one). A points grid
    must then be given the bloc's line (the règle page says so; publishing checks it)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    code, intitule = _bloc_fields_check(referentiel, code=code, intitule=intitule)
    capacite_code, capacite_intitule = capacite_code.strip(), capacite_intitule.strip()
    if not capacite_code:
        raise ApplicationError("Le code de la première capacité est obligatoire.", field="capacite_code")
    if len(capacite_code) > 60:
        raise ApplicationError("Code de capacité trop long (au plus 60 caractères).", field="capacite_code")
    if not capacite_intitule:
        raise ApplicationError(
            "L'intitulé de la première capacité est obligatoire.", field="capacite_intitule"
        )
    if Capacite.objects.filter(referentiel=referentiel, code=capacite_code).exists():
        raise ApplicationError(f"Une capacité porte déjà le code « {capacite_code} ».", field="capacite_code")
    last = (
        Bloc.objects.filter(referentiel=referentiel)
        .order_by("-order")
        .values_list("order", flat=True)
        .first()
    )
    bloc = Bloc.objects.create(referentiel=referentiel, code=code, intitule=intitule, order=(last or 0) + 1)
    Capacite.objects.create(
        referentiel=referentiel, bloc=bloc, code=capacite_code, intitule=capacite_intitule, order=0
    )
    _blocs_reorder(referentiel, bloc, position)
    return bloc


@transaction.atomic
def bloc_delete(*, bloc: Bloc, by: Organisation) -> None:
    """Remove a bloc of a draft with its capacités, critères and modalités. Only drafts are
    edited and no dossier uses a draft (dossiers take published versions, and the database's
    foreign keys would refuse it anyway)."""
    referentiel = bloc.referentiel
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    if not Bloc.objects.filter(referentiel=referentiel).exclude(pk=bloc.pk).exists():
        raise ApplicationError(
            "Un référentiel garde au moins un bloc : modifiez celui-ci plutôt que de le supprimer."
        )
    Modalite.objects.filter(Q(bloc=bloc) | Q(capacite__bloc=bloc)).delete()
    Critere.objects.filter(capacite__bloc=bloc).delete()
    Capacite.objects.filter(bloc=bloc).delete()
    bloc.delete()
    for i, b in enumerate(Bloc.objects.filter(referentiel=referentiel).order_by("order", "pk")):
        if b.order != i:
            Bloc.objects.filter(pk=b.pk).update(order=i)


MODALITE_FIELDS = ("type", "intitule", "duree_minutes", "points", "forme", "notes")


@transaction.atomic
def modalites_set(
    *,
    referentiel: Referentiel,
    by: Organisation,
    modalites: list[dict],
    bloc: Bloc | None = None,
    capacite: Capacite | None = None,
) -> list[Modalite]:
    """Replace the allowed modalités of one bloc or one capacité of a draft by ``modalites``
    (dicts of the exchange format's modalité: type, intitule, duree_minutes, points, forme, notes),
    checked by the importer's own checks; the first bad one is named (« modalité n° 2 ») and
    nothing is written."""
    if (bloc is None) == (capacite is None):
        raise ValueError("modalites_set: a bloc or a capacité")
    owner = bloc or capacite
    if owner.referentiel_id != referentiel.pk:
        raise ApplicationError("Cet élément n'appartient pas à ce référentiel.")
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    rows = []
    for i, data in enumerate(modalites):
        row = {key: data.get(key) for key in MODALITE_FIELDS}
        for key in ("intitule", "forme", "notes"):
            row[key] = (row[key] or "").strip()
        try:
            modalite_check(row, f"modalites[{i}]")
        except FormatError as exc:
            field = exc.where.rsplit(".", 1)[-1] if "." in exc.where else None
            raise ApplicationError(
                f"Modalité n° {i + 1} : {exc.message}", field=field, extra={"index": i}
            ) from None
        rows.append(row)
    Modalite.objects.filter(bloc=bloc, capacite=capacite, referentiel=referentiel).delete()
    return Modalite.objects.bulk_create(
        [
            _modalite_from(row, referentiel=referentiel, bloc=bloc, capacite=capacite, order=i)
            for i, row in enumerate(rows)
        ]
    )


def regle_check(*, referentiel: Referentiel, regle) -> dict:
    """Check ``regle`` for this référentiel with the importer's validation (the whole document:
    a points grid must name exactly the référentiel's blocs). ``ApplicationError`` names the field."""
    doc = referentiel_export(referentiel=referentiel)
    doc["regle"] = regle
    try:
        return document_check(doc, "règle d'obtention")["regle"]
    except FormatError as exc:
        where = exc.where.removeprefix("élément ")
        if not where.startswith("regle"):
            # The rest of the draft is not valid yet (e.g. a new bloc without its line): say so.
            raise ApplicationError(
                f"Le brouillon lui-même est incomplet ({where} : {exc.message}).", field="regle"
            ) from None
        raise ApplicationError(f"{where} : {exc.message}", field="regle", extra={"path": where}) from None


@transaction.atomic
def referentiel_regle_update(*, referentiel: Referentiel, by: Organisation, regle) -> Referentiel:
    """Replace a draft's règle d'obtention (typed data, checked as the importer checks it)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    referentiel.regle = regle_check(referentiel=referentiel, regle=regle)
    referentiel.save(update_fields=["regle", "updated_at"])
    return referentiel


def composition_check(*, referentiel: Referentiel, composition) -> dict:
    """Check the jury's composition rules typed for this référentiel (French message naming the key,
    field ``composition_jury``) and return them as stored: only the keys given, over the family's
    default (see :mod:`referentiels.jury_composition`)."""
    composition_parse(composition, code=referentiel.code, kind=referentiel.kind)
    return dict(composition or {})


@transaction.atomic
def referentiel_composition_update(*, referentiel: Referentiel, by: Organisation, composition) -> Referentiel:
    """Replace a draft's jury composition rules (checked first: nothing written on bad input)."""
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    referentiel.composition_jury = composition_check(referentiel=referentiel, composition=composition)
    referentiel.save(update_fields=["composition_jury", "updated_at"])
    return referentiel


@transaction.atomic
def referentiel_delete(*, referentiel: Referentiel, by: Organisation) -> None:
    _require_owner(referentiel, by)
    _require_draft(referentiel)
    _clear_structure(referentiel)
    referentiel.delete()


@transaction.atomic
def habilitation_grant(
    *,
    certificateur: Organisation,
    centre: Organisation,
    code: str,
    date_debut: dt.date,
    date_fin: dt.date | None = None,
    note: str = "",
) -> Habilitation:
    _require_certificateur(certificateur)
    if centre.kind != Organisation.Kind.CENTRE:
        raise ApplicationError("Une habilitation est accordée à un centre.", field="centre")
    if not Referentiel.objects.filter(code=code, certificateur=certificateur).exists():
        raise ApplicationError(f"Aucun référentiel {code} chez ce certificateur.", field="code")
    if date_fin is not None and date_fin < date_debut:
        raise ApplicationError("La date de fin précède la date de début.", field="date_fin")
    habilitation, _ = Habilitation.objects.update_or_create(
        centre=centre,
        referentiel_code=code,
        date_debut=date_debut,
        defaults={"certificateur": certificateur, "date_fin": date_fin, "note": note},
    )
    return habilitation


@transaction.atomic
def habilitation_end(
    *, habilitation: Habilitation, certificateur: Organisation, date_fin: dt.date
) -> Habilitation:
    """Set the last day of a habilitation: from the day after, the centre no longer sees the
    référentiel nor opens dossiers on it (``selectors.habilitated_codes``). An ended
    habilitation may be ended again at another date (a correction)."""
    if habilitation.certificateur_id != certificateur.pk:
        raise ApplicationError("Cette habilitation a été accordée par un autre certificateur.")
    if date_fin < habilitation.date_debut:
        raise ApplicationError(
            f"La date de fin ({date_fin:%d/%m/%Y}) précède le début de l'habilitation ({habilitation.date_debut:%d/%m/%Y}).",
            field="date_fin",
        )
    habilitation.date_fin = date_fin
    habilitation.full_clean()
    habilitation.save(update_fields=["date_fin"])
    return habilitation


# --- registration (RNCP / RS) ------------------------------------------------------------------

NSF_PATTERN = re.compile(r"^[0-9]{3}[a-z]?$")
NUMERO_PATTERN = {"RNCP": re.compile(r"^RNCP[0-9]{3,6}$"), "RS": re.compile(r"^RS[0-9]{3,6}$")}


def _nsf_clean(codes) -> list[dict]:
    if codes in (None, ""):
        return []
    if not isinstance(codes, list):
        raise ApplicationError("Les codes NSF doivent être une liste.", field="codes_nsf")
    out = []
    for item in codes:
        code, libelle = (item.get("code"), item.get("libelle", "")) if isinstance(item, dict) else (item, "")
        code = str(code or "").strip()
        if not NSF_PATTERN.match(code):
            raise ApplicationError(
                f"Code NSF invalide : « {code} » (trois chiffres, éventuellement suivis d'une lettre, ex. 324t).",
                field="codes_nsf",
            )
        out.append({"code": code, "libelle": str(libelle or "").strip()[:200]})
    if len(out) > 3:
        raise ApplicationError("Trois codes NSF au plus (comme la fiche RNCP).", field="codes_nsf")
    return out


def enregistrement_check(
    *,
    numero: str,
    type_enregistrement: str = Enregistrement.Type.SUR_DEMANDE,
    date_decision: dt.date | None = None,
    duree_ans: int | None = None,
    reference_jo: str = "",
    date_fin: dt.date | None = None,
    niveau: int | None = None,
    codes_nsf=None,
) -> dict:
    """The clean fields of a registration, or an ``ApplicationError`` in French (nothing written)."""
    numero = (numero or "").strip().upper().replace(" ", "")
    repertoire = "RS" if numero.startswith("RS") else "RNCP"
    if not NUMERO_PATTERN[repertoire].match(numero):
        raise ApplicationError(
            f"Numéro d'enregistrement invalide : « {numero} » (attendu RNCP suivi de chiffres, ex. RNCP36390, "
            "ou RS suivi de chiffres).",
            field="numero",
        )
    if type_enregistrement not in Enregistrement.Type.values:
        raise ApplicationError("Type d'enregistrement inconnu.", field="type_enregistrement")
    reference_jo = (reference_jo or "").strip()
    if type_enregistrement == Enregistrement.Type.SUR_DEMANDE and date_decision is None:
        raise ApplicationError(
            "La date de la décision du directeur général de France compétences est obligatoire "
            "pour un enregistrement sur demande.",
            field="date_decision",
        )
    if type_enregistrement == Enregistrement.Type.DE_DROIT and not reference_jo:
        raise ApplicationError(
            "La référence de publication (Journal officiel, arrêté) est obligatoire pour un enregistrement de droit.",
            field="reference_jo",
        )
    if len(reference_jo) > 500:
        raise ApplicationError("La référence de publication dépasse 500 caractères.", field="reference_jo")
    today = timezone.localdate()
    if date_decision is not None and date_decision > today:
        raise ApplicationError("La date de décision ne peut pas être dans le futur.", field="date_decision")
    if duree_ans is not None and not 1 <= int(duree_ans) <= 10:
        raise ApplicationError("La durée d'enregistrement va de 1 à 10 ans.", field="duree_ans")
    if repertoire == "RS" and niveau is not None:
        raise ApplicationError(
            "Une certification du Répertoire spécifique n'a pas de niveau.", field="niveau"
        )
    if niveau is not None and not 1 <= int(niveau) <= 8:
        raise ApplicationError(
            "Le niveau de la nomenclature nationale va de 1 à 8 (décret n° 2019-14).", field="niveau"
        )
    if date_fin is not None and date_decision is not None and date_fin <= date_decision:
        raise ApplicationError("La fin d'enregistrement suit la date de décision.", field="date_fin")
    return {
        "repertoire": repertoire,
        "numero": numero,
        "type_enregistrement": type_enregistrement,
        "date_decision": date_decision,
        "duree_ans": int(duree_ans) if duree_ans is not None else None,
        "reference_jo": reference_jo,
        "date_fin": date_fin,
        "niveau": int(niveau) if niveau is not None else None,
        "codes_nsf": _nsf_clean(codes_nsf),
    }


def enregistrement_set(
    *, referentiel: Referentiel, by: Organisation, user=None, source: str = "saisie", **fields
) -> Enregistrement:
    """Record (or correct) the registration of ``referentiel``'s code; audited in the certificateur."""
    _require_certificateur(by)
    _require_owner(referentiel, by)
    clean = enregistrement_check(**fields)
    with transaction.atomic():
        enregistrement, created = Enregistrement.objects.update_or_create(
            code=referentiel.code,
            defaults=clean | {"certificateur": by, "source": source, "updated_by": user},
        )
        if user is not None:
            from organisations.services import audit_record
            from organisations.tenancy import tenant_context

            with tenant_context(by):
                audit_record(
                    actor=user,
                    action="referentiel.enregistrement",
                    obj=referentiel,
                    message=f"{referentiel.code} : {clean['numero']} ({'créé' if created else 'modifié'})",
                )
    return enregistrement


def enregistrement_delete(*, referentiel: Referentiel, by: Organisation, user=None) -> None:
    """The code is not (or no longer) registered: its documents print no registration sentence."""
    _require_certificateur(by)
    _require_owner(referentiel, by)
    with transaction.atomic():
        deleted, _ = Enregistrement.objects.filter(code=referentiel.code, certificateur=by).delete()
        if deleted and user is not None:
            from organisations.services import audit_record
            from organisations.tenancy import tenant_context

            with tenant_context(by):
                audit_record(
                    actor=user, action="referentiel.enregistrement", obj=referentiel, message="supprimé"
                )
