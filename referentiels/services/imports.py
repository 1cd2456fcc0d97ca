"""Import of référentiels (one, checked dry, or many at once for the RNCP import) and their structure."""

import datetime as dt
import uuid

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.bulk import copy_create, copy_insert, copy_update, next_ids_many
from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import document_check
from referentiels.models import (
    Activite,
    Bloc,
    Capacite,
    Critere,
    Modalite,
    Referentiel,
)
from referentiels.services._common import _require_certificateur, _require_draft, _require_owner


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
    _write_structures([(referentiel, doc)])


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
    # the exchange format carries them; an RNCP fiche does not (HEADER_FIELDS leaves a draft's own)
    referentiel.composition_jury = doc.get("composition_jury") or {}


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
        # ``source`` is the importer's own JSON (written by COPY, which refuses what JSON cannot encode).
        referentiel.full_clean(
            exclude=["certificateur", "source"], validate_unique=False, validate_constraints=False
        )
        referentiels.append(referentiel)
        docs.append(doc)
    if not referentiels:
        return []
    referentiels = (
        copy_create(referentiels)
        if connection.vendor == "postgresql"
        else Referentiel.objects.bulk_create(referentiels)
    )
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
    if connection.vendor == "postgresql":
        copy_update(referentiels, HEADER_FIELDS)  # COPY into a staging table, one UPDATE … FROM
    else:
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
    """:func:`_write_structure` for many référentiels at once: one query for the new rows' ids,
    then one ``COPY`` per table (``core.bulk``), whatever the number of référentiels."""
    if connection.vendor != "postgresql":
        _write_structures_orm(pairs)
        return
    blocs = [(r.pk, i, b) for r, doc in pairs for i, b in enumerate(doc["blocs"])]
    caps = [(ref_id, k, c) for ref_id, _i, b in blocs for k, c in enumerate(b["capacites"])]
    acts = [(r.pk, i, a) for r, doc in pairs for i, a in enumerate(doc["activites"])]
    bloc_ids, cap_ids, act_ids = next_ids_many(
        [(Bloc, len(blocs)), (Capacite, len(caps)), (Activite, len(acts))]
    )
    _copy_blocs_capacites_criteres(blocs, bloc_ids, caps, cap_ids)
    _copy_modalites(blocs, bloc_ids, caps, cap_ids)
    _copy_activites(acts, act_ids, caps, cap_ids)


def _copy_blocs_capacites_criteres(blocs: list, bloc_ids: list[int], caps: list, cap_ids: list[int]) -> None:
    uuid4 = uuid.uuid4
    copy_insert(
        Bloc,
        ["id", "public_id", "referentiel_id", "code", "intitule", "implicite", "order"],
        [
            (pk, uuid4(), ref_id, b["code"], b["intitule"], b["implicite"], i)
            for pk, (ref_id, i, b) in zip(bloc_ids, blocs, strict=True)
        ],
    )
    cap_bloc = [
        bloc_id for bloc_id, (_r, _i, b) in zip(bloc_ids, blocs, strict=True) for _c in b["capacites"]
    ]
    copy_insert(
        Capacite,
        ["id", "public_id", "referentiel_id", "bloc_id", "code", "intitule", "conditions", "order"],
        [
            (pk, uuid4(), ref_id, bloc_id, c["code"], c["intitule"], c["conditions"], k)
            for pk, bloc_id, (ref_id, k, c) in zip(cap_ids, cap_bloc, caps, strict=True)
        ],
    )
    copy_insert(
        Critere,
        ["public_id", "capacite_id", "texte", "groupe", "order"],
        [
            (uuid4(), cap_id, r["texte"], r["groupe"], i)
            for cap_id, (_ref, _k, c) in zip(cap_ids, caps, strict=True)
            for i, r in enumerate(c["criteres"])
        ],
    )


MODALITE_COLUMNS = [
    "public_id",
    "referentiel_id",
    "bloc_id",
    "capacite_id",
    "type",
    "intitule",
    "duree_minutes",
    "points",
    "forme",
    "notes",
    "double_correction",
    "order",
]


def _modalite_row(m: dict, ref_id: int, bloc_id: int | None, cap_id: int | None, order: int) -> tuple:
    return (
        uuid.uuid4(),
        ref_id,
        bloc_id,
        cap_id,
        m["type"],
        m["intitule"],
        m["duree_minutes"],
        m["points"],
        m["forme"],
        m["notes"],
        m.get("double_correction", False),
        order,
    )


def _copy_modalites(blocs: list, bloc_ids: list[int], caps: list, cap_ids: list[int]) -> None:
    copy_insert(
        Modalite,
        MODALITE_COLUMNS,
        [
            _modalite_row(m, ref_id, bloc_id, None, i)
            for bloc_id, (ref_id, _i, b) in zip(bloc_ids, blocs, strict=True)
            for i, m in enumerate(b["modalites"])
        ]
        + [
            _modalite_row(m, ref_id, None, cap_id, i)
            for cap_id, (ref_id, _k, c) in zip(cap_ids, caps, strict=True)
            for i, m in enumerate(c["modalites"])
        ],
    )


def _copy_activites(acts: list, act_ids: list[int], caps: list, cap_ids: list[int]) -> None:
    if not acts:
        return
    copy_insert(
        Activite,
        ["id", "referentiel_id", "code", "intitule", "order"],
        [(pk, ref_id, a["code"], a["intitule"], i) for pk, (ref_id, i, a) in zip(act_ids, acts, strict=True)],
    )
    by_code = {(ref_id, c["code"]): cap_id for cap_id, (ref_id, _k, c) in zip(cap_ids, caps, strict=True)}
    copy_insert(
        Activite.capacites.through,
        ["activite_id", "capacite_id"],
        [
            (act_id, by_code[(ref_id, code)])
            for act_id, (ref_id, _i, a) in zip(act_ids, acts, strict=True)
            for code in a["capacites"]
        ],
    )


def _write_structures_orm(pairs: list[tuple[Referentiel, dict]]) -> None:
    """Embedded mode (SQLite, no COPY): Create the structure of many référentiels at once (one bulk insert per table, none for
    an empty table)."""
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
