"""Editing a draft's structure: capacités, blocs, modalités, the règle d'obtention."""

from django.db import transaction
from django.db.models import Q

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import FormatError, document_check, modalite_check
from referentiels.models import (
    Bloc,
    Capacite,
    Critere,
    Modalite,
    Referentiel,
)
from referentiels.regles import regle_rename_bloc
from referentiels.services._common import _require_draft, _require_owner
from referentiels.services.export import referentiel_export
from referentiels.services.imports import _modalite_from


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
        if groupe_max is not None and len(critere.get("groupe", "").strip()) > groupe_max:
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
    others = Bloc.objects.filter(referentiel=referentiel, code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
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
    if owner is None or owner.referentiel_id != referentiel.pk:
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
