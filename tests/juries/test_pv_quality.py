"""The PV a jury is proud to sign (issue 13, point 9): per candidate the name, birth date,
decision, what was validated (code and intitulé), the numbers of the documents issued; no
internal id nor UUID fragment; nothing about a « moteur de règles »; no empty column; wording
follows the civilité; a birth date known only by its year reads « née en 1990 »."""

import os
import re
import subprocess
from pathlib import Path

from django.core.cache import cache

from documents.models import DocumentKind, IssuedDocument
from documents.services import document_pdf
from juries import services
from juries.documents import _naissance, jury_documents_issue
from tests.evaluations.conftest import in_a, referentiels  # noqa: F401 - fixtures
from tests.juries.conftest import totp_code
from tests.juries.test_regle_decisions import cqpm_jury

UUID_FRAGMENT = re.compile(r"\b[0-9a-f]{8}\b", re.IGNORECASE)


def test_cqpm_pv_text(in_a, alice, referentiels):  # noqa: F811
    jury, panel, decision = cqpm_jury(in_a, alice, referentiels["cqpm"], fail=False)
    president = panel["pres-cqpm@test.local"][0]
    services.decision_record(decision=decision, by=president, accept=True)
    pv = services.jury_close(jury=jury, by=president)
    cache.clear()
    for email in ("sal-cqpm@test.local", "pres-cqpm@test.local"):
        membership, secret = panel[email]
        services.proces_verbal_sign(proces_verbal=pv, by=membership, code=totp_code(secret), ip="203.0.113.7")
    jury.refresh_from_db()
    jury_documents_issue(jury=jury)
    document = IssuedDocument.objects.get(kind=DocumentKind.PROCES_VERBAL)
    parchemin = IssuedDocument.objects.get(kind=DocumentKind.PARCHEMIN)
    pdf = document_pdf(document)
    if os.environ.get("DOCS_PNG_DIR"):  # keep the PDFs, to look at them (pdftoppm)
        out = Path(os.environ["DOCS_PNG_DIR"])
        (out / "pv-cqpm.pdf").write_bytes(pdf)
        attestation = IssuedDocument.objects.filter(kind=DocumentKind.ATTESTATION).first()
        if attestation is not None:
            (out / "attestation-cqpm.pdf").write_bytes(document_pdf(attestation))
    text = " ".join(
        subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "MARTIN Léa" in text and "née le 14/03/1998 à Ajaccio" in text
    assert parchemin.number in text  # the number of the document issued
    assert "Capacités acquises" in text
    first_cap = jury.referentiel.capacites.order_by("bloc__order", "order").first()
    # « per candidate … the blocs or capacités validated (code and intitulé) » (issue 13, point 9)
    assert f"{first_cap.code} — {first_cap.intitule.split()[0]}" in text
    assert "moteur" not in text.lower()
    assert str(jury.public_id)[:8].upper() not in text.upper()
    assert str(decision.dossier.public_id)[:8] not in text
    assert "Résultat" not in text and "Motivation" not in text  # no empty column for a CQPM
    assert "Blocs validés" not in text and "BLOC" not in text.upper().replace("BLOCS", "")


def test_birth_wording_follows_civilite_and_what_is_known():
    class P:
        civilite, naissance_commune = "MME", ""
        naissance_annee, naissance_mois, naissance_jour = 1990, None, None

    assert _naissance(P) == "née en 1990"
    P.naissance_mois = 3
    assert _naissance(P) == "née en mars 1990"
    P.civilite, P.naissance_jour, P.naissance_commune = "M", 4, "Lyon"
    assert _naissance(P) == "né le 04/03/1990 à Lyon"
