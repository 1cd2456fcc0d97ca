"""Data for the issue-15 screenshots, on top of `manage.py demo_seed` (embedded mode), through the
services a gestionnaire's pages call. Run with `manage.py shell < extra_data.py`; prints the three
addresses to screenshot. Works on the code before and after issue 15 (same service signatures)."""

import datetime as dt

from django.utils import timezone

from candidates import services as cs
from candidates.models import Dossier
from candidates.selectors import dossier_grid
from evaluations import services as es
from evaluations.models import Epreuve
from juries.models import Jury
from organisations.models import Membership, Organisation
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel

IDENTITY = {"civilite": "MME", "sexe": "F", "prenom1": "Léa", "naissance_annee": 1998}


def published(code):
    return Referentiel.objects.filter(code=code, status="published").order_by("-version").first()


uimm = Organisation.objects.get(slug="uimm-idf")
lyon = Organisation.objects.get(slug="cci-campus-lyon")
g_uimm = Membership.objects.get(organisation=uimm, user__email="gestionnaire@uimm-idf.demo")
g_lyon = Membership.objects.get(organisation=lyon, user__email="gestionnaire@cci-lyon.demo")
evaluateur = Membership.objects.get(organisation=uimm, user__email="evaluateur@uimm-idf.demo")

with tenant_context(uimm):
    epreuve = Epreuve.objects.filter(intitule="Soutenance (10 capacités)").first()
    if epreuve is None:
        ref = published("CQPM-management-equipes")
        session = es.session_create(by=g_uimm, referentiel=ref, intitule="Session management", lieu="Paris")
        epreuve = es.epreuve_create(
            session=session,
            by=g_uimm,
            intitule="Soutenance (10 capacités)",
            date=timezone.localdate() + dt.timedelta(days=40),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[c.code for c in ref.capacites.all()][:10],
            evaluateurs=[evaluateur.user],
        )
        dossiers = []
        for nom in ("Arnaud", "Bernard", "Colin", "Dupont"):
            cand = cs.candidate_create(by=g_uimm, nom_naissance=nom, **IDENTITY)
            d = cs.dossier_create(
                by=g_uimm,
                candidate=cand,
                referentiel=ref,
                voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
                date_inscription=dt.date(2025, 9, 1),
            )
            choices = {
                cr.capacite.pk: cr.allowed[0].pk
                for row in dossier_grid(dossier=d)
                if row.vise
                for cr in row.capacites
            }
            cs.dossier_plan_update(dossier=d, by=g_uimm, blocs=None, modalites=choices)
            dossiers.append(
                cs.dossier_transition(dossier=d, to=Dossier.Status.INSCRIT, by=g_uimm, reason="Démo")
            )
        es.epreuve_candidats_add(epreuve=epreuve, by=g_uimm, dossiers=dossiers)
    print(f"GRID /o/uimm-idf/evaluations/epreuves/{epreuve.public_id}/grille/")

with tenant_context(lyon):
    dossier = Dossier.objects.filter(candidate__nom_naissance="PLAN", referentiel__code="RNCP36390").first()
    if dossier is None:
        cand = cs.candidate_create(by=g_lyon, nom_naissance="Plan", **IDENTITY)
        dossier = cs.dossier_create(
            by=g_lyon, candidate=cand, referentiel=published("RNCP36390"), voie_acces=Dossier.VoieAcces.VAE
        )
    print(f"PLAN /o/cci-campus-lyon/candidats/dossiers/{dossier.public_id}/")
    jury = Jury.objects.get(intitule="Jury de certification en délibération (démonstration)")
    print(f"JURY /o/cci-campus-lyon/jurys/{jury.public_id}/")
