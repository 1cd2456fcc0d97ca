"""Oversight (read-only) of the PV transmissions and of the centres' signatory names of a
certificateur's documents (issue 13, point 1): the « PV reçus » page reads them across centres."""

from django.db import migrations

from certificateur.rls import CERTIFICATEUR_ID, AddOversightPolicy, via_certificateur

CENTRE_NAMES_PATH = (
    "signatory_id IN (SELECT s.id FROM documents_issuancesignatory s "  # noqa: S608
    "JOIN documents_issuancerule r ON r.id = s.rule_id "
    f"WHERE r.certificateur_id = {CERTIFICATEUR_ID})"
)


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0006_merge_stop12"),
        ("juries", "0006_pv_transmission"),
        ("documents", "0007_issuance_rules"),
    ]

    operations = [
        AddOversightPolicy("juries_pvtransmission", via_certificateur()),
        AddOversightPolicy("documents_centresignatoryname", CENTRE_NAMES_PATH),
    ]
