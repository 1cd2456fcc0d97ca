"""Demo world, part 3: candidates and dossiers at every stage in both demo centres. Idempotent."""

import datetime as dt
import unicodedata

from django.core.files.uploadedfile import SimpleUploadedFile

from candidates import services
from candidates.models import Candidate, Dossier
from core.errors import ApplicationError
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# (nom, prénom, sexe, naissance (j, m, a), commune, INSEE, voie, stage, tiers-temps)
PEOPLE = {
    "uimm-idf": [
        ("LEFEBVRE", "Thomas", "M", (12, 4, 1992), "Paris", "75056", "CONTRAT_PRO", "brouillon", False),
        ("MOREL", "Sarah", "F", (3, 11, 1988), "Versailles", "78646", "FORMATION_CONTINUE", "inscrit", True),
        ("FAURE", "Nicolas", "M", (27, 1, 1995), "Créteil", "94028", "CONTRAT_PRO", "en_evaluation", False),
        ("ANDRE", "Julie", "F", (9, 7, 1990), "Nanterre", "92050", "VAE", "pret_pour_jury", False),
        (
            "MERCIER",
            "Hugo",
            "M",
            (15, 2, 1985),
            "Évry-Courcouronnes",
            "91228",
            "FORMATION_CONTINUE",
            "certifie",
            False,
        ),
        ("BLANC", "Emma", "F", (21, 9, 1993), "Saint-Denis", "93066", "CONTRAT_PRO", "ajourne", True),
        ("GUERIN", "Lucas", "M", (30, 5, 1991), "Meaux", "77284", "FORMATION_CONTINUE", "abandon", False),
    ],
    "cci-campus-lyon": [
        ("ROUSSEAU", "Chloé", "F", (8, 3, 2003), "Lyon", "69123", "APPRENTISSAGE", "brouillon", False),
        (
            "VINCENT",
            "Maxime",
            "M",
            (19, 12, 2002),
            "Villeurbanne",
            "69266",
            "APPRENTISSAGE",
            "inscrit",
            False,
        ),
        ("MULLER", "Inès", "F", (2, 6, 2001), "Ajaccio", "2A004", "APPRENTISSAGE", "en_evaluation", True),
        (
            "LECLERC",
            "Antoine",
            "M",
            (11, 10, 1999),
            "Vénissieux",
            "69259",
            "FORMATION_CONTINUE",
            "pret_pour_jury",
            False,
        ),
        ("FONTAINE", "Manon", "F", (25, 8, 2000), "Bron", "69029", "APPRENTISSAGE", "certifie", False),
        ("CHEVALIER", "Yanis", "M", (14, 1, 2002), "Bastia", "2B033", "APPRENTISSAGE", "partiel", False),
        ("ROBIN", "Camille", "F", (6, 4, 1998), "Lyon", "69123", "FORMATION_CONTINUE", "abandon", False),
    ],
}
REFERENTIELS = {
    "uimm-idf": ["CQPM-attache-gestion", "CQPM-management-equipes"],
    "cci-campus-lyon": ["RNCP36390", "CQPI-assistant"],
}
STEPS = [Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION, Dossier.Status.PRET_POUR_JURY]
ORDER = {
    "brouillon": 0,
    "inscrit": 1,
    "en_evaluation": 2,
    "pret_pour_jury": 3,
    "certifie": 4,
    "partiel": 4,
    "ajourne": 4,
    "abandon": 1,
}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _plan(dossier: Dossier) -> None:
    from candidates.selectors import dossier_grid

    grid = [row for row in dossier_grid(dossier=dossier) if row.vise]
    choices = {cr.capacite.pk: cr.allowed[0].pk for row in grid for cr in row.capacites if cr.allowed}
    services.dossier_plan_update(
        dossier=dossier, by=None, blocs=[row.bloc for row in grid], modalites=choices
    )


def _advance(dossier: Dossier, stage: str, stdout) -> Dossier:
    try:
        for step in STEPS[: min(ORDER[stage], 3)]:
            if step == Dossier.Status.PRET_POUR_JURY:
                services.piece_upload(
                    dossier=dossier,
                    by=None,
                    kind="rapport",
                    uploaded_file=SimpleUploadedFile("rapport.pdf", PDF),
                )
            dossier = services.dossier_transition(dossier=dossier, to=step, by=None)
        if stage == "abandon":
            dossier = services.dossier_transition(
                dossier=dossier, to="abandon", by=None, reason="Démission de l'entreprise"
            )
        elif stage in ("certifie", "partiel", "ajourne"):
            codes = list(dossier.blocs_vises.values_list("bloc__code", flat=True))
            acquis = codes if stage == "certifie" else codes[: len(codes) // 2] if stage == "partiel" else []
            dossier = services.dossier_deliberate(
                dossier=dossier,
                by=None,
                decision=stage,
                blocs_acquis=acquis,
                date=dt.date.today() - dt.timedelta(days=60),
            )
    except ApplicationError as exc:
        # A later app's guard (e.g. results required) may hold a dossier back: it stays where it is.
        if stdout:
            stdout.write(f"  dossier {dossier} laissé « {dossier.get_status_display()} » : {exc.message}")
    return dossier


def seed(stdout=None) -> dict:
    created = 0
    for slug, people in PEOPLE.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        with tenant_context(organisation):
            if Candidate.objects.exists():
                continue
            published = [
                Referentiel.objects.filter(code=c, status="published").first() for c in REFERENTIELS[slug]
            ]
            referentiels = [r for r in published if r is not None]
            if not referentiels:
                continue
            entreprise = services.entreprise_create(
                by=None,
                raison_sociale="Atelier Démo Industrie" if slug == "uimm-idf" else "Office Démo Services",
                siret="73282932000074",
            )
            tuteur = services.tuteur_create(
                by=None,
                nom="FOURNIER" if slug == "uimm-idf" else "FRANÇOIS",
                prenom="Pierre" if slug == "uimm-idf" else "Laura",
                email="tuteur@uimm-idf.demo" if slug == "uimm-idf" else "tuteur@cci-lyon.demo",
                entreprise=entreprise,
            )
            for i, (nom, prenom, sexe, (d, m, y), commune, insee, voie, stage, tiers) in enumerate(people):
                candidate = services.candidate_create(
                    by=None,
                    civilite="MME" if sexe == "F" else "M",
                    sexe=sexe,
                    nom_naissance=nom,
                    prenom1=prenom,
                    naissance_annee=y,
                    naissance_mois=m,
                    naissance_jour=d,
                    naissance_commune=commune,
                    naissance_code_insee=insee,
                    naissance_pays_code="FRA",
                    naissance_pays="France",
                    email=_ascii(f"{prenom}.{nom}@exemple.demo"),
                )
                dossier = services.dossier_create(
                    by=None,
                    candidate=candidate,
                    referentiel=referentiels[i % len(referentiels)],
                    voie_acces=Dossier.VoieAcces[voie],
                    entreprise=entreprise,
                    tuteur=tuteur,
                    amenagement_tiers_temps=tiers,
                    date_inscription=dt.date.today() - dt.timedelta(days=120),
                    date_remise_rapport=dt.date.today() + dt.timedelta(days=30),
                )
                _plan(dossier)
                dossier = _advance(dossier, stage, stdout)
                if stage == "partiel" and dossier.status == Dossier.Status.DELIBERE:
                    services.dossier_rattrapage_open(dossier=dossier, by=None)
                created += 1
    if stdout:
        stdout.write(f"Candidats de démonstration : {created} dossier(s) créés.")
    return {"dossiers": created}
