"""The evaluations demo data: created once, fast, and idempotent."""

import time

from django.utils import timezone

from evaluations.models import AvisEntreprise, Epreuve, Resultat, SessionExamen
from organisations.models import Organisation
from organisations.tenancy import tenant_context


def test_demo_seed_is_idempotent_and_fast(db):
    import importlib

    from evaluations import demo
    from organisations import demo as org_demo
    from referentiels import demo as ref_demo

    org_demo.seed()
    ref_demo.seed()
    try:
        importlib.import_module("candidates.demo").seed()
    except ModuleNotFoundError:
        pass
    started = time.monotonic()
    assert demo.seed()["centres"] == ["uimm-idf", "cci-campus-lyon"]
    elapsed = time.monotonic() - started
    assert demo.seed()["centres"] == []  # second run: nothing to do
    assert elapsed < 20, elapsed
    for slug in ("uimm-idf", "cci-campus-lyon"):
        org = Organisation.objects.get(slug=slug)
        with tenant_context(org):
            assert SessionExamen.objects.count() == 1
            assert Epreuve.objects.filter(inscriptions__isnull=False).exists()
            assert Resultat.objects.filter(valide=True).exists()
            assert AvisEntreprise.objects.filter(soumis_le__isnull=False).count() == 1
            # one épreuve already held and marked, one still to come (its convocations can be sent
            # from the demo; no result before its start — time is truth, issue 13)
            today = timezone.localdate()
            assert Epreuve.objects.filter(date__lt=today).exists()
            assert Epreuve.objects.filter(date__gt=today).exists()
