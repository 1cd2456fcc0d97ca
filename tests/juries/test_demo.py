"""The demo juries load, idempotently: one frozen jury, one in deliberation."""

from juries.models import Jury
from organisations.models import Organisation
from organisations.tenancy import tenant_context


def test_demo_seed_is_idempotent(db):
    from juries import demo
    from organisations import demo as org_demo
    from referentiels import demo as ref_demo

    org_demo.seed()
    ref_demo.seed()
    demo.seed()
    demo.seed()
    org = Organisation.objects.get(slug=demo.CENTRE)
    with tenant_context(org):
        juries = {j.intitule: j for j in Jury.objects.all()}
        assert len(juries) == 2
        assert juries[demo.SIGNED].is_frozen
        assert juries[demo.OPEN].status == "deliberation"
        assert juries[demo.SIGNED].decisions.filter(motivation__gt="").count() == 1
        # issue 16: only an administrator seats a jury's members, the demo's included
        labels = {m.added_by_label for j in juries.values() for m in j.members.all()}
        assert labels == {"Marc Lambert (Administrateur)"}
