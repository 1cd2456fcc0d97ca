"""Contrôle continu of a points grid (RNCP36390, seed 004): entered per bloc by the centre (a
dossier's results page, or a whole session at once by import) and by the évaluateur (the bloc's
grid).

Seed 004, « Procédure d'évaluation des modules de formation » : « Les épreuves d'évaluation des
modules de formation sont conçues et gérées par les centres de formation sous forme de contrôles
continus » ; « Grille de synthèse » : 100 / 70 / 70 / 60 points of contrôle continu for blocs 1–4.

Each part of a bloc result is its own value: writing the contrôle continu never touches the
épreuves' mark (nor the reverse). The import is checked as a whole, row by row: a dry run shows
what would change and every row's error; a real run writes everything or, at the first error,
nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from candidates.models import Dossier, DossierBloc
from core.actors import Actor
from core.errors import ApplicationError
from core.exports import csv_writer
from core.natural import natural_sorted
from evaluations.models import InscriptionEpreuve, Resultat, SessionExamen
from referentiels.models import Bloc
from referentiels.regles import RegleGrillePoints, regle_parse

ID_COLUMN = "dossier"
NAME_COLUMNS = ("nom", "prénom")
BLOC_PREFIX = "bloc "


def _grille(referentiel) -> RegleGrillePoints:
    regle = regle_parse(referentiel.regle)
    if not isinstance(regle, RegleGrillePoints):
        raise ApplicationError(
            f"{referentiel.code} ne se note pas en points : il n'a pas de contrôle continu.", field="bloc"
        )
    return regle


def has_controle_continu(referentiel) -> bool:
    """Whether the référentiel's règle gives its blocs contrôle continu points."""
    regle = regle_parse(referentiel.regle)
    return isinstance(regle, RegleGrillePoints) and any(b.controle_continu for b in regle.blocs)


def cc_record(*, dossier: Dossier, bloc: Bloc, by: Actor, valeur: str, reason: str = "") -> Resultat:
    """Write the contrôle continu of one bloc of ``dossier``, keeping the épreuves' mark and the
    absence flag as they are (each part of a bloc result is its own value)."""
    from evaluations import services

    # the other parts (épreuves, absence) are not sent: the service keeps them as they are
    return services.resultat_record(
        dossier=dossier, by=by, bloc=bloc, controle_continu=valeur, reason=reason or "Contrôle continu"
    )


# --- a dossier's contrôle continu (results page) ------------------------------------------------


def cc_rows(dossier: Dossier) -> list[dict]:
    """The blocs of ``dossier`` that take a contrôle continu now (targeted, not carried), with
    their maximum and current value: ``[{bloc, max, valeur, conserve}]`` (``conserve``: a
    rattrapage keeps the previous attempt's, seed 004); empty when the règle has none."""
    from evaluations.services.results import cc_carried

    regle = regle_parse(dossier.referentiel.regle)
    if not isinstance(regle, RegleGrillePoints):
        return []
    current = dict(
        Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.BLOC).values_list(
            "bloc_id", "controle_continu"
        )
    )
    rows = []
    for db in (
        DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False)
        .select_related("bloc")
        .order_by("bloc__order", "bloc__code")
    ):
        ligne = regle.bloc(db.bloc.code)
        if ligne.controle_continu:
            rows.append(
                {
                    "bloc": db.bloc,
                    "max": ligne.controle_continu,
                    "valeur": current.get(db.bloc_id),
                    # a rattrapage keeps the previous attempt's: shown, not asked again
                    "conserve": cc_carried(dossier, db.bloc_id) is not None,
                }
            )
    return rows


@transaction.atomic
def cc_record_many(*, dossier: Dossier, by: Actor, valeurs: dict[str, str]) -> int:
    """Results page: ``{bloc code: value}``; a blank value leaves the bloc's contrôle continu as
    it is. All or nothing; returns the number of blocs changed."""
    rows = {r["bloc"].code: r for r in cc_rows(dossier)}
    changed = 0
    errors = []
    for code, valeur in valeurs.items():
        valeur = (valeur or "").strip()
        if not valeur:
            continue
        row = rows.get(code)
        if row is None:
            errors.append(f"Bloc {code} : pas de contrôle continu à saisir pour ce dossier.")
            continue
        try:
            with transaction.atomic():
                before = row["valeur"]
                resultat = cc_record(dossier=dossier, bloc=row["bloc"], by=by, valeur=valeur)
        except ApplicationError as exc:
            errors.append(f"Bloc {code} : {exc.message}")
            continue
        changed += int(before != resultat.controle_continu)
    if errors:
        raise ApplicationError(" ".join(errors) + " Rien n'a été enregistré.", field="controle_continu")
    return changed


# --- a session's contrôle continu (table, template, import) ------------------------------------


def session_dossiers(session) -> list[Dossier]:
    """The dossiers inscribed to at least one épreuve of ``session``, in name order."""
    ids = InscriptionEpreuve.objects.filter(epreuve__session=session).values_list("dossier_id", flat=True)
    return list(
        Dossier.objects.filter(pk__in=ids)
        .select_related("candidate", "referentiel")
        .order_by("candidate__nom_naissance", "candidate__prenom1", "pk")
    )


def session_blocs(session) -> list[tuple[Bloc, int]]:
    """The session référentiel's blocs that have a contrôle continu, with its maximum."""
    regle = _grille(session.referentiel)
    return [
        (b, regle.bloc(b.code).controle_continu)
        for b in natural_sorted(
            Bloc.objects.filter(referentiel=session.referentiel), key=lambda b: b.code
        )  # bloc 2 before bloc 10, whatever the text order
        if regle.bloc(b.code).controle_continu
    ]


def session_table(session) -> dict:
    """Every dossier of the session × every bloc: current value, or why it takes none
    (bloc not targeted, carried from an earlier attempt)."""
    blocs = session_blocs(session)
    dossiers = session_dossiers(session)
    ids = [d.pk for d in dossiers]
    values = {
        (d, b): v
        for d, b, v in Resultat.objects.filter(dossier_id__in=ids, kind=Resultat.Kind.BLOC).values_list(
            "dossier_id", "bloc_id", "controle_continu"
        )
    }
    targets = {
        (d, b): anterieur
        for d, b, anterieur in DossierBloc.objects.filter(dossier_id__in=ids).values_list(
            "dossier_id", "bloc_id", "acquis_anterieur"
        )
    }
    rows = []
    for d in dossiers:
        cells: list[dict[str, object]] = []
        for b, _max in blocs:
            key = (d.pk, b.pk)
            if key not in targets:
                cells.append({"etat": "non visé"})
            elif targets[key]:
                cells.append({"etat": "acquis antérieurement"})
            else:
                cells.append({"etat": "", "valeur": values.get(key)})
        rows.append({"dossier": d, "cells": cells})
    return {"blocs": blocs, "rows": rows}


def _fmt(value) -> str:
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def template_csv(session) -> str:
    """The import's template, filled with the session's dossiers and their current values
    (semicolon-separated, UTF-8 with BOM, as spreadsheets expect in France)."""
    table = session_table(session)
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";")
    writer.writerow([ID_COLUMN, *NAME_COLUMNS, *[f"Bloc {b.code} (sur {m})" for b, m in table["blocs"]]])
    for row in table["rows"]:
        c = row["dossier"].candidate
        writer.writerow(
            [
                str(row["dossier"].public_id),
                c.nom_naissance,
                c.prenom1,
                *[_fmt(cell.get("valeur")) for cell in row["cells"]],
            ]
        )
    return "\ufeff" + out.getvalue()


@dataclass
class ImportRow:
    line: int
    candidat: str = ""
    changes: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    error: str = ""  # a file-level error (header)

    @property
    def errors(self) -> list[ImportRow]:
        return [r for r in self.rows if r.error]

    @property
    def changed(self) -> int:
        return sum(len(r.changes) for r in self.rows if not r.error)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.error and not self.errors


class _Rollback(Exception):
    pass


def _bloc_of_header(title: str, blocs: dict[str, Bloc]) -> Bloc | None:
    text = title.strip()
    if text.lower().startswith(BLOC_PREFIX):
        text = text[len(BLOC_PREFIX) :]
    code = text.split(" (", 1)[0].strip()
    return blocs.get(code.lower())


def _bloc_columns(
    header: list[str], id_index: int, known_blocs: dict[str, Bloc]
) -> tuple[list[tuple[int, Bloc]], list[str]]:
    """The header's bloc columns, ``(index, bloc)``, and the titles that name no bloc of the
    session (the dossier and name columns, and blank titles, are neither)."""
    columns: list[tuple[int, Bloc]] = []
    unknown = []
    for index, title in enumerate(header):
        if index == id_index or title.lower() in NAME_COLUMNS or not title:
            continue
        bloc = _bloc_of_header(title, known_blocs)
        if bloc is None:
            unknown.append(title)
        else:
            columns.append((index, bloc))
    return columns, unknown


def _import_dossier_row(
    row: ImportRow, dossier: Dossier, cells: list[str], columns: list[tuple[int, Bloc]], by: Actor
) -> None:
    """Record one line's non-empty bloc cells for ``dossier``; its changes, or its first error
    (the line then stops), go to ``row``."""
    for index, bloc in columns:
        valeur = cells[index].strip()
        if not valeur:
            continue
        before = (
            Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.BLOC, bloc=bloc)
            .values_list("controle_continu", flat=True)
            .first()
        )
        try:
            with transaction.atomic():
                resultat = cc_record(
                    dossier=dossier,
                    bloc=bloc,
                    by=by,
                    valeur=valeur,
                    reason="Import du contrôle continu",
                )
        except ApplicationError as exc:
            row.error = f"Bloc {bloc.code} : {exc.message}"
            return
        if before != resultat.controle_continu:
            row.changes.append(
                f"Bloc {bloc.code} : {_fmt(before) or '—'} → {_fmt(resultat.controle_continu)}"
            )


def session_import(
    *, session: SessionExamen, by: Actor, data: bytes, file_format: str, dry_run: bool
) -> ImportReport:
    """Import the contrôle continu of a session's dossiers (CSV or XLSX, one line per dossier,
    one column per bloc, as :func:`template_csv`). An empty cell leaves the value as it is.

    Every row is checked by the very service that writes it, inside a transaction that is rolled
    back for a dry run or when any row fails: the dry run says exactly what a real run would do.
    """
    from candidates.importer import read_rows

    report = ImportReport(dry_run=dry_run)
    header, rows = read_rows(data, file_format)
    header = [h.strip() for h in header]
    lowered = [h.lower() for h in header]
    if ID_COLUMN not in lowered:
        report.error = (
            f"Colonne « {ID_COLUMN} » absente : partez du modèle téléchargé depuis cette page "
            "(une ligne par dossier, une colonne par bloc)."
        )
        return report
    id_index = lowered.index(ID_COLUMN)
    known_blocs = {b.code.lower(): b for b, _m in session_blocs(session)}
    columns, unknown = _bloc_columns(header, id_index, known_blocs)
    if unknown:
        report.error = (
            f"Colonne(s) inconnue(s) : {', '.join(f'« {u} »' for u in unknown)}. Les colonnes de blocs "
            f"attendues sont : {', '.join(f'« Bloc {code} »' for code in (b.code for b in known_blocs.values()))}."
        )
        return report
    if not columns:
        report.error = "Aucune colonne de bloc : rien à importer."
        return report
    dossiers = {str(d.public_id): d for d in session_dossiers(session)}
    try:
        with transaction.atomic():
            seen: set[str] = set()
            for number, cells in enumerate(rows, start=2):
                if not any(c.strip() for c in cells):
                    continue
                cells = cells + [""] * (len(header) - len(cells))
                row = ImportRow(line=number)
                report.rows.append(row)
                key = cells[id_index].strip()
                dossier = dossiers.get(key)
                if dossier is None:
                    row.error = (
                        f"Dossier « {key[:40]} » inconnu de cette session."
                        if key
                        else "Identifiant de dossier manquant (colonne « dossier »)."
                    )
                    continue
                row.candidat = dossier.candidate.nom_complet
                if key in seen:
                    row.error = "Dossier déjà présent sur une ligne précédente."
                    continue
                seen.add(key)
                _import_dossier_row(row, dossier, cells, columns, by)
            if dry_run or report.errors:
                raise _Rollback
    except _Rollback:
        pass
    return report
