"""Demo world, evaluations: a session per centre with its épreuves (the first one held a week ago
and marked, the next ones still to come), candidates, results and an avis de l'entreprise given by
the demo tuteur. Results are recorded only on the épreuve already held: nothing of an épreuve is
recorded before it starts (issue 13, point 4). Idempotent (keyed on the session's intitulé) and
fast (no PDF rendered: convocations are sent from the page).

Uses the demo dossiers of ``candidates.demo`` when they exist; otherwise creates a few of its own
through the candidates services.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from candidates import services as candidates
from candidates.models import Dossier, Tuteur
from evaluations import services
from evaluations.models import AvisEntreprise, Resultat, SessionExamen
from organisations.models import Membership, Organisation
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel
from referentiels.regles import RegleGrillePoints, regle_parse

SESSION = "Session de démonstration"
PLAN = {
    "uimm-idf": (
        "CQPM-attache-gestion",
        "tuteur@uimm-idf.demo",
        "evaluateur@uimm-idf.demo",
        "gestionnaire@uimm-idf.demo",
    ),
    "cci-campus-lyon": (
        "RNCP36390",
        "tuteur@cci-lyon.demo",
        "evaluateur@cci-lyon.demo",
        "gestionnaire@cci-lyon.demo",
    ),
}
PEOPLE = [
    ("MME", "F", "Moreau", "Inès", 1999, 4, 2),
    ("M", "M", "Lefebvre", "Hugo", 1997, 11, 23),
    ("MME", "F", "Garcia", "Chloé", 2000, 6, 9),
]


def _dossiers(org, ref, gestionnaire, tuteur) -> list[Dossier]:
    from candidates.selectors import dossier_grid

    existing = list(
        Dossier.objects.filter(referentiel=ref, status__in=services.OPEN_STATUSES)
        .select_related("candidate")
        .order_by("pk")[:3]
    )
    if len(existing) >= 3:
        return existing
    for civ, sexe, nom, prenom, y, m, d in PEOPLE[len(existing) :]:
        candidate = candidates.candidate_create(
            by=gestionnaire,
            civilite=civ,
            sexe=sexe,
            nom_naissance=nom,
            prenom1=prenom,
            naissance_annee=y,
            naissance_mois=m,
            naissance_jour=d,
            email=f"{prenom.lower()}.{nom.lower()}@demo.demo".replace("è", "e").replace("é", "e"),
        )
        dossier = candidates.dossier_create(
            by=gestionnaire,
            candidate=candidate,
            referentiel=ref,
            voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
            date_inscription=timezone.localdate() - dt.timedelta(days=200),
            tuteur=tuteur,
            amenagement_tiers_temps=(nom == "Lefebvre"),
        )
        choices = {
            cr.capacite.pk: cr.allowed[0].pk
            for row in dossier_grid(dossier=dossier)
            if row.vise
            for cr in row.capacites
        }
        candidates.dossier_plan_update(dossier=dossier, by=gestionnaire, blocs=None, modalites=choices)
        existing.append(
            candidates.dossier_transition(
                dossier=dossier, to=Dossier.Status.INSCRIT, by=gestionnaire, reason="Démonstration"
            )
        )
    return existing


def _seed_centre(
    org: Organisation, code: str, tuteur_email: str, evaluateur_email: str, gestionnaire_email: str
) -> bool:
    User = get_user_model()
    ref = (
        Referentiel.objects.filter(code=code, status=Referentiel.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    users = {
        u.email: u
        for u in User.objects.filter(email__in=[evaluateur_email, gestionnaire_email, tuteur_email])
    }
    if ref is None or len(users) < 3:
        return False
    gestionnaire = Membership.objects.get(user=users[gestionnaire_email], organisation=org)
    with tenant_context(org):
        if SessionExamen.objects.filter(intitule=SESSION).exists():
            return False
        tuteur = Tuteur.objects.filter(email=tuteur_email).first() or candidates.tuteur_create(
            by=gestionnaire,
            nom=users[tuteur_email].last_name,
            prenom=users[tuteur_email].first_name,
            email=tuteur_email,
        )
        dossiers = _dossiers(org, ref, gestionnaire, tuteur)
        for d in dossiers:
            if d.tuteur_id is None:
                Dossier.objects.filter(pk=d.pk).update(tuteur=tuteur)
                d.tuteur = tuteur
        session = services.session_create(by=gestionnaire, referentiel=ref, intitule=SESSION, lieu=org.name)
        regle = regle_parse(ref.regle)
        regle_grid = regle.par_points
        held = timezone.localdate() - dt.timedelta(days=7)  # the first épreuve took place a week ago
        day = timezone.localdate() + dt.timedelta(days=45)  # the next ones are planned
        evaluateur = users[evaluateur_email]
        if regle_grid:
            epreuves = [
                services.epreuve_create(
                    session=session,
                    by=gestionnaire,
                    intitule=f"Étude de cas — bloc {b.code[-4:]}",
                    date=held if i == 0 else day + dt.timedelta(days=i),
                    heure_debut=dt.time(9),
                    duree_minutes=240,
                    salle=f"A{i + 1}",
                    bloc=b,
                    evaluateurs=[evaluateur],
                )
                for i, b in enumerate(ref.blocs.order_by("order")[:2])
            ]
        else:
            caps = list(ref.capacites.order_by("bloc__order", "order").values_list("code", flat=True))
            epreuves = [
                services.epreuve_create(
                    session=session,
                    by=gestionnaire,
                    intitule="Présentation de projets",
                    date=held,
                    heure_debut=dt.time(9, 30),
                    duree_minutes=90,
                    salle="B12",
                    capacites=caps,
                    evaluateurs=[evaluateur],
                ),
                # still to come: its convocations can be sent from the demo (time is truth: it
                # takes no result before its start)
                services.epreuve_create(
                    session=session,
                    by=gestionnaire,
                    intitule="Soutenance devant la commission d'évaluation",
                    date=day,
                    heure_debut=dt.time(14),
                    duree_minutes=60,
                    salle="B12",
                    capacites=caps,
                    evaluateurs=[evaluateur],
                ),
            ]
        for e in epreuves:
            services.epreuve_candidats_add(epreuve=e, by=gestionnaire, dossiers=dossiers)
        first = epreuves[0]
        # Results: the first candidate fully marked and validated, the second partly.
        for index, dossier in enumerate(dossiers[:2]):
            for cible in services.epreuve_cibles(first):
                if cible["kind"] == "bloc" and isinstance(regle, RegleGrillePoints):
                    # contrôle continu first (the épreuve only marks its own part)
                    grille = regle.bloc(cible["code"])
                    services.resultat_record(
                        dossier=dossier,
                        by=gestionnaire,
                        bloc=first.bloc,
                        controle_continu=int(grille.controle_continu * 0.6),
                    )
                valeur = (
                    "acquis"
                    if cible["kind"] == "capacite"
                    else str(int(cible["max"] * (0.7 if index == 0 else 0.45)))
                )
                services.epreuve_mark(
                    epreuve=first, dossier=dossier, by=evaluateur, cible=cible["code"], valeur=valeur
                )
                if index == 1:
                    break
        if ref.kind == "CQPM":  # each capacité is decided by the commission, its members named
            for r in Resultat.objects.filter(dossier=dossiers[0], kind=Resultat.Kind.CAPACITE, valide=False):
                services.commission_decide(
                    resultat=r,
                    by=gestionnaire,
                    decision=r.etat,
                    membres="Mme Roy, responsable formation\nM. Petit, évaluateur",
                )
        else:
            services.epreuve_results_validate(epreuve=first, by=gestionnaire)
        if regle_grid:
            services.suivi_update(dossier=dossiers[0], by=gestionnaire, taux_absence="3.2")
        # The avis de l'entreprise: requested for two, given (and locked) for the first.
        for dossier in dossiers[:2]:
            if not AvisEntreprise.objects.filter(dossier=dossier).exists():
                services.avis_request(
                    dossier=dossier, by=gestionnaire, date_limite=timezone.localdate() + dt.timedelta(days=21)
                )
        avis = AvisEntreprise.objects.get(dossier=dossiers[0])
        rows = {row.capacite_id: {"avis": "favorable", "commentaire": ""} for row in avis.capacites.all()}
        services.avis_save(
            avis=avis,
            by=users[tuteur_email],
            capacites=rows,
            commentaire="Très bonne intégration dans le service.",
            submit=True,
        )
    return True


def seed(stdout=None) -> dict:
    done = []
    for slug, (code, tuteur, evaluateur, gestionnaire) in PLAN.items():
        org = Organisation.objects.filter(slug=slug).first()
        if org is not None and _seed_centre(org, code, tuteur, evaluateur, gestionnaire):
            done.append(slug)
    if stdout is not None and done:
        stdout.write(f"Évaluations : sessions, résultats et avis de démonstration pour {', '.join(done)}.")
    return {"centres": done}
