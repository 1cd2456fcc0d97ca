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


def seed(stdout=None) -> None:
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
