"""A jury of 500 candidates in the big centre: the rules engine, the PV through the platform's
template, 500 parchemins end to end, and the évaluateur's grid for an épreuve of 500 candidates.

Seeding: one dossier goes through the real services (plan, results, validation, transitions);
the 499 others are row-level copies of it (bulk inserts), then the jury is composed, gets its
500 dossiers and opens through ``juries.services`` (which runs the engine).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import statistics
import time
import uuid

from bench.core import Line, runs, timed

N_JURY = int(os.environ.get("BENCH_JURY", 500))
_JURY: dict | None = None


def _clone(obj, **changes):
    new = copy.copy(obj)
    new.pk = None
    new.id = None
    new._state = type(obj._state)()
    for f in obj._meta.concrete_fields:
        if f.name == "public_id":
            setattr(new, f.attname, uuid.uuid4())
    for k, v in changes.items():
        setattr(new, k, v)
    return new


def seed_jury() -> dict:
    """Once per run: a jury in deliberation with ``N_JURY`` graded dossiers, and an épreuve."""
    global _JURY
    if _JURY is not None:
        return _JURY
    from bench.app import world
    from candidates.models import Candidate, Dossier, DossierBloc, DossierModalite
    from evaluations import services as ev
    from evaluations.models import Resultat, SuiviDossier
    from juries import services
    from juries.demo import PANEL, _member, _ready
    from organisations.models import Membership
    from organisations.roles import Role
    from organisations.tenancy import tenant_context
    from tests.factories import UserFactory

    w = world()
    org, ref = w["org"], w["ref"]
    by = Membership.objects.get(organisation=org, user=w["user"])
    with tenant_context(org):
        blocs = {
            "RNCP36390BC01": (60, 80),
            "RNCP36390BC02": (40, 60),
            "RNCP36390BC03": (40, 50),
            "RNCP36390BC04": (35, 50),
        }
        model = _ready(by, ref, "MODELE", "Camille", "F", blocs, 100, suffix="")
        cands = Candidate.objects.bulk_create(
            [
                _clone(model.candidate, nom_naissance=f"JURY{i:04d}", prenom1=f"Prénom{i}")
                for i in range(1, N_JURY)
            ]
        )
        dossiers = Dossier.objects.bulk_create([_clone(model, candidate=c) for c in cands])
        for related in (DossierBloc, DossierModalite, Resultat, SuiviDossier):
            rows = list(related.objects.filter(dossier=model))
            related.objects.bulk_create(
                [_clone(r, dossier=d) for d in dossiers for r in rows], batch_size=5000
            )
        dossiers = [model, *dossiers]
        jury = services.jury_create(
            by=by, referentiel=ref, intitule="Jury bench", date=dt.date(2026, 6, 12), lieu="Lyon"
        )
        # only an administrator seats a jury's members (issue 16)
        admin = Membership.objects.filter(organisation=org, role=Role.ADMIN, is_active=True).first()
        if admin is None:
            from organisations.services import membership_add

            admin = membership_add(
                user=UserFactory(email="admin@grand-centre.test"), organisation=org, role=Role.ADMIN
            )
        for email, nom, prenom, role, extra in PANEL:
            _member(org, email, prenom, nom, "bench-password-123")
            services.jury_member_add(
                jury=jury, by=admin, email=email, nom=nom, prenom=prenom, role=role, annees_metier=6, **extra
            )
        services.jury_dossiers_add(jury=jury, by=by, dossiers=dossiers)
        services.jury_open(jury=jury, by=by)
        # The évaluateur's grid: an épreuve of bloc 1 with N_JURY inscrit dossiers.
        evaluateur = UserFactory(email="evaluateur@grand-centre.test")
        from organisations.services import membership_add

        membership_add(user=evaluateur, organisation=org, role=Role.EVALUATEUR)
        session = ev.session_create(by=by, referentiel=ref, intitule="Session bench", lieu="Lyon")
        epreuve = ev.epreuve_create(
            session=session,
            by=by,
            intitule="Écrit bloc 1",
            date=dt.date(2026, 5, 20),
            heure_debut=dt.time(9),
            duree_minutes=120,
            lieu="Lyon",
            bloc=ref.blocs.get(code="RNCP36390BC01"),
            evaluateurs=[evaluateur],
        )
        inscrits = Dossier.objects.filter(organisation=org, status=Dossier.Status.INSCRIT).order_by("pk")[
            :N_JURY
        ]
        ev.epreuve_candidats_add(epreuve=epreuve, by=by, dossiers=inscrits)
    _JURY = {
        "jury": jury,
        "dossier_ids": [d.pk for d in dossiers],
        "epreuve": epreuve,
        "evaluateur": evaluateur,
        "by": by,
    }
    return _JURY


def bench_engine() -> list[Line]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from candidates.models import Dossier
    from juries.engine import propose_many
    from organisations.tenancy import tenant_context

    j = seed_jury()
    jury = j["jury"]

    def run():
        dossiers = Dossier.objects.filter(pk__in=j["dossier_ids"])
        out, errors = propose_many(dossiers, date_decision=jury.date)
        assert len(out) == N_JURY and not errors, errors
        return out

    with tenant_context(jury.organisation):
        with CaptureQueriesContext(connection) as ctx:
            run()
        cpu0 = time.process_time()
        samples = timed(run, runs(10))
        cpu = (time.process_time() - cpu0) * 1000 / len(samples)
    line = Line(
        f"rules engine, {N_JURY} proposals (with queries)",
        "ms",
        samples,
        target="< 500 ms, ≤ 10 queries",
        note=f"{len(ctx)} queries, CPU {cpu:.0f} ms",
    )
    line.passed = line.median < 500 and len(ctx) <= 10
    return [line]


def _pv_document():
    """The jury's PV as the documents layer renders it (unsaved IssuedDocument, real context)."""
    from documents.models import DocumentKind, IssuedDocument
    from juries.documents import pv_context
    from juries.models import ProcesVerbal
    from organisations.tenancy import tenant_context

    j = seed_jury()
    jury = j["jury"]
    with tenant_context(jury.organisation):
        decisions = list(jury.decisions.select_related("dossier__candidate").order_by("order"))
        pv = ProcesVerbal(jury=jury, organisation_id=jury.organisation_id, sha256="0" * 64)
        ctx = pv_context(jury, pv, decisions) if pv.pk else _pv_context_unsaved(jury, pv, decisions)
    return IssuedDocument(
        organisation_id=jury.organisation_id,
        kind=DocumentKind.PROCES_VERBAL,
        holder_name=jury.intitule,
        title="Procès-verbal",
        context=ctx,
        issued_on=dt.date(2026, 6, 12),
    )


def _pv_context_unsaved(jury, pv, decisions):
    """``pv_context`` of a PV not saved yet (no signature rows): the jury stays in deliberation."""
    from types import SimpleNamespace
    from unittest import mock

    from juries import documents as jd
    from juries.models import ProcesVerbal

    none = SimpleNamespace(select_related=lambda *a: SimpleNamespace(order_by=lambda *a: []))
    with mock.patch.object(ProcesVerbal, "signatures", new=none):
        return jd.pv_context(jury, pv, decisions)


def bench_parchemins() -> list[Line]:
    """The jury's 500 parchemins: requested through ``document_request`` (numbering, one
    transaction each), then a sample rendered through ``document_render`` (template, render,
    seal, private storage, row update); the batch time is the per-document median × 500 over
    2 worker processes (the 2-process speed-up is measured by ``parchemin``)."""
    from django.db import transaction

    from documents.models import DocumentKind
    from documents.services import document_render, document_request
    from juries.documents import _diplome_context, holder_name
    from organisations.tenancy import tenant_context

    j = seed_jury()
    jury = j["jury"]
    with tenant_context(jury.organisation):
        decisions = list(jury.decisions.select_related("dossier__candidate")[:N_JURY])
        certificateur = jury.referentiel.certificateur
        start = time.perf_counter()
        docs = []
        for d in decisions:
            cand = d.dossier.candidate
            with transaction.atomic():
                docs.append(
                    document_request(
                        organisation=jury.organisation,
                        kind=DocumentKind.PARCHEMIN,
                        certificateur=certificateur,
                        holder_name=holder_name(cand),
                        title=f"Parchemin — {holder_name(cand)}",
                        context=_diplome_context(jury, cand),
                        idempotency_key=f"bench-parchemin-{d.public_id}",
                        group_key="bench-parchemins",
                        render=False,
                    )
                )
        request_s = time.perf_counter() - start
        sample = iter(docs)
        cpu0 = time.process_time()
        n = runs(20)
        samples = timed(lambda: transaction.atomic()(document_render)(next(sample)), n)
        cpu = (time.process_time() - cpu0) * 1000 / (n + 1)
    per = statistics.median(samples)
    return [
        Line(
            f"parchemin end to end (render+seal+store) ×{len(docs)}",
            "ms",
            samples,
            target="reported",
            note=f"{per:.0f} ms/doc, CPU {cpu:.0f} ms; {len(docs)} requests {request_s:.1f} s; "
            f"batch ≈ {request_s + per * len(docs) / 1000 / 2:.0f} s on 2 processes",
        )
    ]


def render_pv_500() -> bytes:
    from documents.services import document_pdf

    global _PV_DOC
    if _PV_DOC is None:
        _PV_DOC = _pv_document()
    return document_pdf(_PV_DOC)


_PV_DOC = None

BENCHES = {"engine": bench_engine, "parchemins": bench_parchemins}
