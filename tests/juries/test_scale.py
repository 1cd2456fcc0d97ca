"""Scale: the engine over 500 candidates (queries, time) and the PV of 500 candidates rendered,
each next to a bare WeasyPrint one-page render measured in the same run."""

import time
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import Candidate, Dossier, DossierBloc
from documents.models import DocumentKind, IssuedDocument
from evaluations.models import Resultat
from juries.engine import propose_many
from tests.juries.conftest import JURY_DATE

N = 500


def _bulk_dossiers(org, ref, n):
    """500 dossiers ready for the jury with validated results, written in bulk (set-up speed only)."""
    blocs = list(ref.blocs.all())
    candidates = Candidate.objects.bulk_create(
        [
            Candidate(
                organisation=org,
                civilite="MME",
                sexe="F",
                nom_naissance=f"NOM{i:04d}",
                prenom1="Léa",
                naissance_annee=2000,
            )
            for i in range(n)
        ]
    )
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(organisation=org, candidate=c, referentiel=ref, status="pret_pour_jury", voie_acces="VAE")
            for c in candidates
        ]
    )
    DossierBloc.objects.bulk_create(
        [DossierBloc(organisation=org, dossier=d, bloc=b) for d in dossiers for b in blocs]
    )
    grid = {
        "RNCP36390BC01": (60, 80),
        "RNCP36390BC02": (40, 60),
        "RNCP36390BC03": (40, 50),
        "RNCP36390BC04": (35, 50),
    }
    rows = []
    for i, d in enumerate(dossiers):
        for b in blocs:
            cc, ep = grid[b.code]
            rows.append(
                Resultat(
                    organisation=org,
                    dossier=d,
                    kind="bloc",
                    bloc=b,
                    controle_continu=Decimal(cc - i % 30),
                    epreuves=Decimal(ep),
                    valide=True,
                )
            )
        for comp, pts in (("ecrit", 100), ("oral", 60), ("tuteur", 40)):
            rows.append(
                Resultat(
                    organisation=org,
                    dossier=d,
                    kind="composante",
                    composante=comp,
                    points=Decimal(pts),
                    valide=True,
                )
            )
    Resultat.objects.bulk_create(rows, batch_size=2000)
    return dossiers


def test_engine_and_pv_for_500_candidates(in_a, referentiels, capsys):
    ref = referentiels["rncp"]
    dossiers = _bulk_dossiers(in_a, ref, N)
    qs = Dossier.objects.select_related("referentiel").filter(pk__in=[d.pk for d in dossiers])
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        propositions, errors = propose_many(qs, date_decision=JURY_DATE)
        engine_s = time.perf_counter() - started
    assert not errors and len(propositions) == N
    assert len(ctx.captured_queries) <= 10, len(ctx.captured_queries)
    decisions = {p.decision for p in propositions.values()}
    assert decisions >= {"certifie"}

    # the PV of 500 candidates, rendered and sealed as the worker does it (no storage)
    from django.conf import settings
    from weasyprint import HTML

    from documents.rendering import get_renderer
    from documents.services import document_pdf

    candidats = [
        {
            "nom": f"NOM{i:04d} Léa",
            "dossier": f"{i:08d}",
            "decision": "Certifié",
            "decision_code": p.decision,
            "blocs_valides": sorted(p.blocs_valides),
            "resultat": f"{p.total_points}/1000",
            "motivation": "",
        }
        for i, p in enumerate(propositions.values())
    ]
    context = {
        "reference": "PV-BENCH",
        "emetteur": {"nom": in_a.name},
        "certificateur": "CCI France",
        "certification": {"intitule": ref.intitule, "code": ref.code, "version": 1},
        "jury": {"nom": "Jury", "date": "2026-06-12", "lieu": "Lyon"},
        "membres": [{"nom": "Hélène Garnier", "role": "Présidente", "qualite": "DRH"}],
        "candidats": candidats,
        "content_hash": "0" * 64,
        "signatures": [],
        "lieu": "Lyon",
    }
    doc = IssuedDocument(
        organisation=in_a, kind=DocumentKind.PROCES_VERBAL, title="PV", issued_on=JURY_DATE, context=context
    )
    get_renderer(settings.DOCUMENTS_ASSET_DIR)  # warm the per-process renderer, as a worker is
    started = time.perf_counter()
    pdf = document_pdf(doc)
    pv_s = time.perf_counter() - started
    started = time.perf_counter()
    HTML(string="<html><body><h1>Page</h1><p>Un document d'une page.</p></body></html>").write_pdf()
    bare_s = time.perf_counter() - started
    assert pdf.startswith(b"%PDF")
    with capsys.disabled():
        print(
            f"\nengine: {N} candidates in {engine_s * 1000:.0f} ms, {len(ctx.captured_queries)} queries; "
            f"PV of {N} candidates: {pv_s:.2f} s ({len(pdf) // 1024} KiB) vs bare one-page WeasyPrint {bare_s * 1000:.0f} ms"
        )
