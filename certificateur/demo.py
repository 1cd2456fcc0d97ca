"""Demo world, certificateur part: CDC identifiers for each certificateur and its passages to declare."""

from certificateur.accrochage import cdc_compte_save, cdc_passages_sync
from certificateur.models import CdcCompte
from organisations.models import Organisation
from organisations.tenancy import tenant_context

CDC_IDS = {
    "cci-france": ("CCIFR001", "CCI-CTR-2026"),
    "uimm": ("UIMMN001", "UIMM-CTR-2026"),
    "cpnef-papier-carton": ("CPNEF001", "CPNEF-CTR-2026"),
}


def _issue_signed_demo_jury(stdout=None) -> None:
    """CCI France reviews and issues the parchemins of the demo's first signed jury (seed 004); the
    second one stays in « PV reçus » for the demo certificateur to issue."""
    from certificateur.issuance import received_pvs_issue
    from juries.demo import CENTRE, SIGNED
    from juries.issuance import issuance_run
    from juries.models import PvTransmission
    from organisations.models import Membership

    cci = Organisation.objects.filter(slug="cci-france").first()
    centre = Organisation.objects.filter(slug=CENTRE).first()
    staff = Membership.objects.filter(organisation=cci, role="certificateur").first() if cci else None
    if cci is None or centre is None or staff is None:
        return
    with tenant_context(centre):
        t = (
            PvTransmission.objects.filter(jury__intitule=SIGNED, status="transmis")
            .select_related("jury")
            .first()
        )
    if t is None:
        return
    with tenant_context(cci):
        received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
    with tenant_context(centre):  # now, not after the demo's commit: the CDC passages below need them
        issuance_run(jury=t.jury, certificateur_id=cci.pk, user_id=staff.user_id)
    if stdout is not None:
        stdout.write("  CCI France : parchemins du jury signé émis ; un PV reçu attend son émission.")


def seed(stdout=None) -> None:
    _issue_signed_demo_jury(stdout)
    for slug, (id_client, id_contrat) in CDC_IDS.items():
        certificateur = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.CERTIFICATEUR).first()
        if certificateur is None:
            continue
        with tenant_context(certificateur):
            if not CdcCompte.objects.exists():
                cdc_compte_save(
                    certificateur=certificateur, by=None, id_client=id_client, id_contrat=id_contrat
                )
            result = cdc_passages_sync(certificateur=certificateur)
        if stdout is not None and result["created"]:
            stdout.write(f"  {certificateur.name} : {result['created']} passage(s) CDC à déclarer")
