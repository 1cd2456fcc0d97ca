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
        assert len(juries) == 3
        assert juries[demo.SIGNED].is_frozen
        # seed 004: the signed PV is transmitted to CCI France, which issues the parchemins
        assert juries[demo.SIGNED].transmission.status == "transmis"
        assert juries[demo.TRANSMITTED].transmission.status == "transmis"
        assert juries[demo.OPEN].status == "deliberation"
        assert juries[demo.SIGNED].decisions.filter(motivation__gt="").count() == 1
        # issue 16: only an administrator seats a jury's members, the demo's included
        labels = {m.added_by_label for j in juries.values() for m in j.members.all()}
        assert labels == {"Marc Lambert (Administrateur)"}


def test_demo_certificateur_issues_the_first_signed_jury(db):
    """`make demo`: CCI France has issued the first signed jury's parchemins (signed by the two
    presidents of seed 004, demo names), the second jury's PV waits in « PV reçus »."""
    from certificateur import demo as cert_demo
    from documents.models import IssuedDocument
    from juries import demo
    from organisations import demo as org_demo
    from referentiels import demo as ref_demo

    org_demo.seed()
    ref_demo.seed()
    demo.seed()
    cert_demo.seed()
    org = Organisation.objects.get(slug=demo.CENTRE)
    with tenant_context(org):
        signed = Jury.objects.get(intitule=demo.SIGNED)
        assert signed.transmission.status == "emis"
        parchemin = IssuedDocument.objects.filter(group_key=signed.group_key, kind="parchemin").first()
        assert parchemin is not None
        assert parchemin.context["signataires"] == [
            ["Le Président de CCI France", "Paul Exemple (démo)"],
            ["Le Président de la CCI dont dépend l'établissement de formation", "Claire Exemple (démo)"],
        ]
        assert Jury.objects.get(intitule=demo.TRANSMITTED).transmission.status == "transmis"
