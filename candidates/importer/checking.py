"""Checking every row against the centre's data, loaded once; duplicates in the file and the centre."""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from candidates.importer.columns import (
    CIVILITES,
    COLUMNS,
    FIELD_COLUMN,
    MANDATORY,
    NO,
    STATUTS,
    VOIES,
    YES,
    _key,
)
from candidates.importer.reading import read_rows
from candidates.importer.report import CREATE, MERGE, SKIP, PlannedRow, Report, RowError
from candidates.models import (
    Candidate,
    Dossier,
    Entreprise,
    Tuteur,
)
from candidates.validators import siret_is_valid
from organisations.tenancy import current_organisation
from referentiels.models import Bloc, Referentiel
from referentiels.selectors import habilitation_list, referentiel_list

#: Where a check reports a bad value: (column, message).
ErrorSink = Callable[[str, str], None]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper().strip()


def _parse_date(text: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_birth(text: str) -> tuple[int, int | None, int | None] | str:
    """(year, month, day) or an error message."""
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return (year, None, None) if 1900 <= year <= 2099 else f"année « {text} » hors de 1900–2099"
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text) or None
    if m:
        day, month, year = (int(x) for x in m.groups())
    else:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not m:
            return f"« {text} » n'est pas une date (jj/mm/aaaa)"
        year, month, day = (int(x) for x in m.groups())
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return f"« {text} » n'existe pas au calendrier"
    if born > timezone.localdate():
        return f"« {text} » est dans le futur"
    if year < 1900:
        return f"« {text} » est antérieure à 1900"
    return year, month, day


class Checker:
    """Loads the centre's reference data once, then checks rows one by one."""

    def __init__(self, *, merge_duplicates: bool):
        self.organisation = current_organisation()
        self.merge = merge_duplicates
        self.referentiels = {
            r.code: r for r in referentiel_list(organisation=self.organisation, status="published")
        }
        self.habilitations = list(habilitation_list(organisation=self.organisation))
        self.blocs: dict[int, dict[str, int]] = {}
        for bloc in Bloc.objects.filter(referentiel__in=[r.pk for r in self.referentiels.values()]).only(
            "pk", "code", "referentiel_id"
        ):
            self.blocs.setdefault(bloc.referentiel_id, {})[bloc.code] = bloc.pk
        self.entreprises = {e.siret: e for e in Entreprise.objects.all()}
        self.tuteurs = {t.email: t for t in Tuteur.objects.all()}
        self.known: dict[tuple, Candidate] = {}
        for c in Candidate.objects.filter(erased_at__isnull=True):
            self.known.setdefault(self.identity(c), c)
        self.open_dossiers = set(
            Dossier.objects.exclude(status__in=[Dossier.Status.DELIBERE, Dossier.Status.ABANDON]).values_list(
                "candidate_id", "referentiel__code"
            )
        )

    @staticmethod
    def identity(c: Candidate) -> tuple:
        return (
            _fold(c.nom_naissance),
            _fold(c.prenom1),
            c.naissance_annee,
            c.naissance_mois,
            c.naissance_jour,
        )

    def habilitated(self, code: str, day: dt.date) -> bool:
        return any(h.referentiel_code == code and h.is_valid_on(day) for h in self.habilitations)

    def check(self, row_number: int, values: dict[str, str], errors: list[RowError]) -> PlannedRow | None:
        err_count = len(errors)

        def error(column: str, message: str) -> None:
            errors.append(RowError(row_number, column, message))

        for column in MANDATORY:
            if not values.get(column):
                error(column, "valeur obligatoire manquante")
        candidate = self._candidate(values, error)
        referentiel, bloc_ids, dossier_fields = self._dossier(values, error)
        siret, tuteur_email = self._entreprise_tuteur(values, error)
        if len(errors) > err_count:
            return None
        assert referentiel is not None  # mandatory column: a row without one has an error above
        return PlannedRow(
            row=row_number,
            identity=self.identity(candidate),
            candidate=candidate,
            existing=None,
            referentiel=referentiel,
            bloc_ids=bloc_ids,
            siret=siret,
            entreprise_name=values.get("entreprise_raison_sociale", ""),
            tuteur={
                "email": tuteur_email,
                "nom": values.get("tuteur_nom", "").upper(),
                "prenom": values.get("tuteur_prenom", ""),
            }
            if tuteur_email
            else {},
            dossier_fields=dossier_fields,
        )

    def _candidate(self, values: dict[str, str], error: ErrorSink) -> Candidate:
        """The candidate of the row (not saved), its identity and civil status checked."""
        birth = _parse_birth(values["date_naissance"]) if values.get("date_naissance") else None
        if isinstance(birth, str):
            error("date_naissance", f"date de naissance invalide : {birth}")
            birth = None
        sexe = values.get("sexe", "").upper()[:1]
        if values.get("sexe") and sexe not in ("M", "F"):
            error("sexe", f"« {values['sexe']} » : M ou F attendu")
        civilite = CIVILITES.get(_key(values.get("civilite", "")) or "", None)
        if values.get("civilite") and civilite is None:
            error("civilite", f"« {values['civilite']} » : M. ou Mme attendu")
        civilite = civilite or ("MME" if sexe == "F" else "M")
        year, month, day = birth if birth else (1900, None, None)
        candidate = Candidate(
            organisation=self.organisation,
            civilite=civilite,
            sexe=sexe if sexe in ("M", "F") else "M",
            nom_naissance=values.get("nom_naissance", "").upper(),
            nom_usage=values.get("nom_usage", "").upper(),
            prenom1=values.get("prenom1", ""),
            prenom2=values.get("prenom2", ""),
            prenom3=values.get("prenom3", ""),
            naissance_annee=year,
            naissance_mois=month,
            naissance_jour=day,
            naissance_commune=values.get("commune_naissance", ""),
            naissance_code_insee=values.get("code_insee_naissance", "").upper(),
            naissance_pays_code=values.get("code_pays_naissance", "").upper(),
            naissance_pays=values.get("pays_naissance", ""),
            email=values.get("email", "").lower(),
            telephone=values.get("telephone", ""),
            adresse=values.get("adresse", ""),
            code_postal=values.get("code_postal", ""),
            ville=values.get("ville", ""),
        )
        try:
            candidate.clean_fields(exclude=["organisation"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = FIELD_COLUMN.get(name, name)
                if values.get(column):  # missing mandatory values are already reported
                    error(column, " ".join(messages))
        return candidate

    def _dossier(
        self, values: dict[str, str], error: ErrorSink
    ) -> tuple[Referentiel | None, list[int], dict[str, Any]]:
        """The row's référentiel (habilitated at the inscription date), its blocs and the dossier's fields."""
        code = values.get("referentiel", "")
        referentiel = self.referentiels.get(code)
        if code and referentiel is None:
            error("referentiel", f"référentiel inconnu ou non habilité pour ce centre : « {code} »")
        voie = VOIES.get(_key(values.get("voie_acces", "")))
        if values.get("voie_acces") and voie is None:
            error(
                "voie_acces",
                f"voie d'accès inconnue : « {values['voie_acces']} » (ex. apprentissage, formation continue, VAE)",
            )
        statut = STATUTS.get(_key(values.get("statut", ""))) if values.get("statut") else ""
        if statut is None:
            error(
                "statut", f"statut inconnu : « {values['statut']} » (salarié, apprenti, demandeur d'emploi…)"
            )
        inscription: dt.date | None = timezone.localdate()
        if values.get("date_inscription"):
            inscription = _parse_date(values["date_inscription"])
            if inscription is None:
                error("date_inscription", f"« {values['date_inscription']} » n'est pas une date (jj/mm/aaaa)")
        if referentiel is not None and inscription and not self.habilitated(referentiel.code, inscription):
            error("referentiel", f"pas d'habilitation pour {referentiel.code} au {inscription:%d/%m/%Y}")
        bloc_ids: list[int] = []
        if referentiel is not None:
            codes = self.blocs.get(referentiel.pk, {})
            wanted = [c.strip() for c in re.split(r"[;,|]", values.get("blocs", "")) if c.strip()]
            unknown = [c for c in wanted if c not in codes]
            if unknown:
                error("blocs", f"bloc(s) inconnu(s) dans {referentiel.code} : {', '.join(unknown)}")
            bloc_ids = [codes[c] for c in wanted if c in codes] or list(codes.values())
        tiers = values.get("tiers_temps", "").lower()
        if tiers not in YES | NO:
            error("tiers_temps", f"« {values['tiers_temps']} » : oui ou non attendu")
        dossier_fields = {
            "voie_acces": voie,
            "statut_professionnel": statut or "",
            "date_inscription": inscription,
            "amenagement_tiers_temps": tiers in YES and tiers != "",
            "amenagement_note": values.get("amenagement_note", ""),
        }
        return referentiel, bloc_ids, dossier_fields

    def _entreprise_tuteur(self, values: dict[str, str], error: ErrorSink) -> tuple[str, str]:
        """The entreprise's SIRET and the tuteur's e-mail, checked (a new one needs its name)."""
        siret = values.get("entreprise_siret", "").replace(" ", "")
        if siret and not siret_is_valid(siret):
            error(
                "entreprise_siret",
                f"SIRET « {siret} » invalide : "
                + (
                    "14 chiffres attendus"
                    if not re.fullmatch(r"\d{14}", siret)
                    else "la clé de contrôle ne correspond pas, un chiffre est sans doute mal recopié"
                ),
            )
        elif siret and siret not in self.entreprises and not values.get("entreprise_raison_sociale"):
            error("entreprise_raison_sociale", "raison sociale obligatoire pour une entreprise nouvelle")
        tuteur_email = values.get("tuteur_email", "").lower()
        if tuteur_email:
            try:
                validate_email(tuteur_email)
            except ValidationError:
                error("tuteur_email", f"adresse e-mail invalide : « {tuteur_email} »")
            if tuteur_email not in self.tuteurs and not (
                values.get("tuteur_nom") and values.get("tuteur_prenom")
            ):
                error("tuteur_nom", "nom et prénom du tuteur obligatoires pour un tuteur nouveau")
        elif values.get("tuteur_nom"):
            error("tuteur_email", "adresse e-mail du tuteur obligatoire")
        return siret, tuteur_email


def check_file(
    data: bytes,
    file_format: str,
    *,
    merge_duplicates: bool,
    choices: dict[int, str] | None = None,
    progress=None,
) -> Report:
    """Dry run: every problem of the file, nothing written.

    A row whose candidate already exists is listed in ``report.duplicates``; what happens to it
    is ``choices[row]`` (:data:`MERGE`, :data:`CREATE`, :data:`SKIP`), by default a merge when
    ``merge_duplicates`` and the merge is possible. ``choices`` None is the preview: a row still
    without choice is no error yet. With ``choices`` (the confirmed import) it is one.
    """
    header, rows = read_rows(data, file_format)
    report = Report(total_rows=len(rows))
    columns = [_key(h) for h in header]
    missing = [c for c in MANDATORY if c not in columns]
    for column in missing:
        report.errors.append(RowError(1, column, "colonne obligatoire absente de l'en-tête"))
    unknown = [h for h, c in zip(header, columns, strict=True) if c and c not in COLUMNS]
    for name in unknown:
        report.warnings.append(RowError(1, name, "colonne inconnue, ignorée"))
    if missing:
        return report
    if not rows:
        report.errors.append(RowError(2, "", "aucune ligne de données"))
        return report
    checker = Checker(merge_duplicates=merge_duplicates)
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(rows):
        row_number = index + 2
        if not any(raw):
            continue
        values = {c: (raw[i] if i < len(raw) else "") for i, c in enumerate(columns) if c in COLUMNS}
        planned = checker.check(row_number, values, report.errors)
        if progress and index % 500 == 0:
            progress(index)
        if planned is None:
            continue
        same = seen.get(planned.identity + (planned.referentiel.code,))
        if same:
            report.errors.append(
                RowError(
                    row_number,
                    "nom_naissance",
                    f"doublon dans le fichier : même candidat et même référentiel qu'à la ligne {same}",
                )
            )
            continue
        seen[planned.identity + (planned.referentiel.code,)] = row_number
        existing = checker.known.get(planned.identity)
        if existing is not None and not _duplicate(
            report, checker, planned, existing, merge_duplicates, choices
        ):
            continue
        report.rows.append(planned)
    return report


def _duplicate(report, checker, planned, existing, merge_duplicates, choices) -> bool:
    """Record a row matching an existing candidate and apply its choice; False drops the row."""
    row = planned.row
    who = f"{existing.nom_naissance} {existing.prenom1} né(e) le {existing.naissance_date_affichee}"
    mergeable = (existing.pk, planned.referentiel.code) not in checker.open_dossiers
    if choices is None:
        choice = MERGE if merge_duplicates and mergeable else ""
    else:
        choice = choices.get(row, "")
    report.duplicates.append(
        {
            "row": row,
            "candidat": f"{planned.candidate.nom_naissance} {planned.candidate.prenom1}",
            "naissance": planned.candidate.naissance_date_affichee,
            "referentiel": planned.referentiel.code,
            "candidat_existant": str(existing.public_id),
            "existant": who,
            "fusion_possible": mergeable,
            "choix": choice,
        }
    )
    planned.duplicate_of, planned.choice = existing, choice
    if choice == SKIP:
        report.warnings.append(RowError(row, "nom_naissance", f"doublon de {who} : ligne ignorée"))
        return False
    if choice == CREATE:
        report.warnings.append(
            RowError(row, "nom_naissance", f"{who} existe déjà : un nouveau candidat homonyme sera créé")
        )
        return True
    if choice == MERGE:
        if not mergeable:
            report.errors.append(
                RowError(
                    row,
                    "referentiel",
                    f"{who} a déjà un dossier en cours pour {planned.referentiel.code} : "
                    "impossible de rattacher, créez un nouveau candidat ou ignorez la ligne",
                )
            )
            return False
        planned.existing = existing
        report.warnings.append(
            RowError(row, "nom_naissance", f"{who} existe déjà : le dossier lui sera rattaché")
        )
        return True
    if choices is not None:
        report.errors.append(
            RowError(
                row,
                "nom_naissance",
                f"doublon : {who} existe déjà dans le centre ; choisissez fusionner, creer ou ignorer",
            )
        )
        return False
    report.warnings.append(
        RowError(row, "nom_naissance", f"{who} existe déjà : choisissez rattacher, créer ou ignorer")
    )
    return True
