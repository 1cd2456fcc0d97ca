"""The catalogue's certificateur filter: a labelled select of the certificateurs one sees."""

import datetime as dt
import re

from organisations.roles import Role
from referentiels.services import habilitation_grant
from tests.conftest import make_member


def _options(html: str) -> list[tuple[str, str]]:
    select = re.search(
        r'<select name="certificateur"[^>]*id="id_certificateur"[^>]*>(.*?)</select>', html, re.S
    )
    assert select, "pas de liste « Certificateur »"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_centre_filters_its_catalogue_by_certificateur(seeds, certificateurs, org_a, client_for):
    cci, uimm = certificateurs["cci-france"], certificateurs["uimm"]
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2020, 1, 1))
    habilitation_grant(
        certificateur=uimm,
        centre=org_a,
        code=seeds["cqpm-attache-gestion.json"].code,
        date_debut=dt.date(2020, 1, 1),
    )
    client = client_for(make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test"))
    html = client.get("/o/centre-a/referentiels/").content.decode()
    assert '<label for="id_certificateur">Certificateur</label>' in html
    # only the certificateurs of what the centre sees: not CPNEF, whose référentiel it is not habilitated for
    assert _options(html) == [("", "Tous"), ("cci-france", "CCI France"), ("uimm", "UIMM")]
    cqpm, rncp = seeds["cqpm-attache-gestion.json"], seeds["rncp36390.json"]
    both = client.get("/o/centre-a/referentiels/").content.decode()
    assert str(cqpm.public_id) in both and str(rncp.public_id) in both
    only_uimm = client.get("/o/centre-a/referentiels/?certificateur=uimm").content.decode()
    assert str(cqpm.public_id) in only_uimm and str(rncp.public_id) not in only_uimm
    assert re.search(r'<option value="uimm" selected>UIMM</option>', only_uimm)
    only_cci = client.get("/o/centre-a/referentiels/?certificateur=cci-france").content.decode()
    assert str(rncp.public_id) in only_cci and str(cqpm.public_id) not in only_cci


def test_certificateur_sees_itself_only_in_the_filter(seeds, certificateurs, client_for):
    client = client_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    html = client.get("/o/uimm/referentiels/").content.decode()
    assert _options(html) == [("", "Tous"), ("uimm", "UIMM")]
