"""Writing a checked file in one transaction with bulk inserts; the CSV template."""

import io

from django.db import transaction
from django.utils import timezone

from candidates.importer.columns import COLUMNS
from candidates.importer.report import SKIP, Report
from candidates.models import (
    Candidate,
    Dossier,
    DossierBloc,
    DossierModalite,
    DossierTransition,
    Entreprise,
    Tuteur,
)
from core.errors import ApplicationError
from core.exports import csv_writer
from organisations.tenancy import current_organisation
from referentiels.models import Bloc


@transaction.atomic
def write_rows(report: Report, *, by_user) -> dict:
    """Create candidates, entreprises, tuteurs and dossiers (brouillon) of a clean report, in bulk."""
    if report.errors:
        raise ApplicationError("Le fichier contient des erreurs : rien n'a été importé.")
    undecided = [p.row for p in report.rows if p.duplicate_of and not p.choice]
    if undecided:
        raise ApplicationError(
            f"Doublons sans choix (lignes {', '.join(map(str, undecided))}) : rien n'a été importé."
        )
    organisation = current_organisation()
    entreprises, new_entreprises = _entreprises_write(report, organisation)
    tuteurs, new_tuteurs = _tuteurs_write(report, organisation, entreprises)
    by_identity: dict[tuple, Candidate] = {}
    for p in report.rows:
        if p.existing is None and p.identity not in by_identity:
            by_identity[p.identity] = p.candidate
    Candidate.objects.bulk_create(by_identity.values(), batch_size=1000)
    dossiers = []
    for p in report.rows:
        candidate = p.existing or by_identity[p.identity]
        dossiers.append(
            Dossier(
                organisation=organisation,
                candidate=candidate,
                referentiel=p.referentiel,
                created_by=by_user,
                entreprise=entreprises.get(p.siret),
                tuteur=tuteurs.get(p.tuteur.get("email", "")),
                **p.dossier_fields,
            )
        )
    Dossier.objects.bulk_create(dossiers, batch_size=1000)
    _dossiers_complete(report, organisation, dossiers, by_user)
    return {
        "candidats_crees": len(by_identity),
        "candidats_rattaches": sum(1 for p in report.rows if p.existing),
        "lignes_ignorees": sum(1 for d in report.duplicates if d["choix"] == SKIP),
        "dossiers_crees": len(dossiers),
        "entreprises_creees": len(new_entreprises),
        "tuteurs_crees": len(new_tuteurs),
    }


def _entreprises_write(report: Report, organisation) -> tuple[dict[str, Entreprise], dict[str, Entreprise]]:
    """The centre's entreprises by SIRET, the file's new ones created: (all, new)."""
    entreprises = {e.siret: e for e in Entreprise.objects.all()}
    new_entreprises = {}
    for p in report.rows:
        if p.siret and p.siret not in entreprises and p.siret not in new_entreprises:
            new_entreprises[p.siret] = Entreprise(
                organisation=organisation, siret=p.siret, raison_sociale=p.entreprise_name[:200]
            )
    Entreprise.objects.bulk_create(new_entreprises.values())
    entreprises.update(new_entreprises)
    return entreprises, new_entreprises


def _tuteurs_write(
    report: Report, organisation, entreprises: dict[str, Entreprise]
) -> tuple[dict[str, Tuteur], dict[str, Tuteur]]:
    """The centre's tuteurs by e-mail, the file's new ones created: (all, new)."""
    tuteurs = {t.email: t for t in Tuteur.objects.all()}
    new_tuteurs = {}
    for p in report.rows:
        email = p.tuteur.get("email")
        if email and email not in tuteurs and email not in new_tuteurs:
            new_tuteurs[email] = Tuteur(
                organisation=organisation,
                email=email,
                nom=p.tuteur["nom"][:60],
                prenom=p.tuteur["prenom"][:60],
                entreprise=entreprises.get(p.siret),
            )
    Tuteur.objects.bulk_create(new_tuteurs.values())
    tuteurs.update(new_tuteurs)
    return tuteurs, new_tuteurs


def _dossiers_complete(report: Report, organisation, dossiers: list[Dossier], by_user) -> None:
    """The new dossiers' first transition (brouillon), their blocs and their single modalités."""
    DossierTransition.objects.bulk_create(
        [
            DossierTransition(
                organisation=organisation,
                dossier=d,
                from_status="",
                to_status=Dossier.Status.BROUILLON,
                by=by_user,
                reason="Import",
            )
            for d in dossiers
        ],
        batch_size=1000,
    )
    DossierBloc.objects.bulk_create(
        [
            DossierBloc(organisation=organisation, dossier=d, bloc_id=b)
            for d, p in zip(dossiers, report.rows, strict=True)
            for b in p.bloc_ids
        ],
        batch_size=2000,
    )
    # A capacité with a single allowed modalité gets it, as when building a dossier by hand.
    single = _single_modalites([p.referentiel.pk for p in report.rows])
    DossierModalite.objects.bulk_create(
        [
            DossierModalite(organisation=organisation, dossier=d, capacite_id=cap, modalite_id=mod)
            for d, p in zip(dossiers, report.rows, strict=True)
            for b in p.bloc_ids
            for cap, mod in single.get(b, [])
        ],
        batch_size=2000,
    )


def _single_modalites(referentiel_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """bloc id → [(capacité id, its only allowed modalité id)]."""
    from candidates.services import allowed_modalites

    out: dict[int, list[tuple[int, int]]] = {}
    blocs = Bloc.objects.filter(referentiel__in=set(referentiel_ids)).prefetch_related(
        "modalites", "capacites__modalites"
    )
    for bloc in blocs:
        for capacite in bloc.capacites.all():
            capacite.bloc = bloc
            allowed = allowed_modalites(capacite)
            if len(allowed) == 1:
                out.setdefault(bloc.pk, []).append((capacite.pk, allowed[0].pk))
    return out


def template_csv() -> str:
    """A model file: the header and one example row."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    example = {
        "nom_naissance": "DUPONT",
        "prenom1": "Marie",
        "sexe": "F",
        "date_naissance": "14/03/1998",
        "referentiel": "RNCP36390",
        "voie_acces": "apprentissage",
        "civilite": "Mme",
        "commune_naissance": "Ajaccio",
        "code_insee_naissance": "2A004",
        "code_pays_naissance": "FRA",
        "pays_naissance": "France",
        "email": "marie.dupont@example.org",
        "statut": "apprenti",
        "date_inscription": timezone.localdate().strftime("%d/%m/%Y"),
        "blocs": "",
        "tiers_temps": "non",
        "entreprise_siret": "73282932000074",
        "entreprise_raison_sociale": "Exemple SA",
        "tuteur_nom": "MARTIN",
        "tuteur_prenom": "Paul",
        "tuteur_email": "paul.martin@example.org",
    }
    writer.writerow([example.get(c, "") for c in COLUMNS])
    return out.getvalue()
