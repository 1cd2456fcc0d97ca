"""E-mails of the signed PV's journey where the certificateur issues (issue 13, point 1): « PV
signed → transmitted to the certificateur → certificateur staff review and issue → the centre and
candidates see the documents ».

Seed 004: « [le jury] rédige le Procès-Verbal d'examen et le transmet à CCI France […] pour
émissions des parchemins du titre ou du/des bloc(s) validé(s). »
"""

from candidates.models import Candidate
from certificateur import issuance
from documents.models import IssuanceSignatory
from juries.issuance import centre_signatory_name_set, pv_transmit_again
from juries.models import PvTransmission
from juries.services import jury_results_publish
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.certificateur.test_issuance import committed, configure_seed_004, signed_jury
from tests.certificateur.test_issuance_pages_api import centre_admin
from tests.conftest import make_member

SEED_004 = "le transmet à CCI France par l'intermédiaire de l'application « DIPLOMATION » pour émissions des parchemins"


def _to(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address]]


def test_staff_centre_and_candidate_are_told_at_each_step(org_a, alice, rncp, panel, cci, staff, mailoutbox):
    assert SEED_004
    configure_seed_004(cci, staff)
    admin = centre_admin(org_a)
    make_member(org_a, Role.EVALUATEUR, "evaluateur@centre.test")  # not told: not their business
    jury = signed_jury(org_a, alice, rncp, panel)
    # 1. the certificateur's staff: a signed PV awaits them, with the page to open
    mails = _to(mailoutbox, staff.user.email)
    assert len(mails) == 1, [m.subject for m in mailoutbox]
    assert mails[0].subject == f"Procès-verbal reçu : {jury.intitule} — {org_a.name}"
    with tenant_context(org_a):
        t = PvTransmission.objects.get(jury=jury)
    assert f"/o/{cci.slug}/supervision/pv-recus/{t.public_id}/" in mails[0].body
    assert "1 candidat(s) : 1 certifié(s)" in mails[0].body
    assert not _to(mailoutbox, "evaluateur@centre.test")
    # 2. returned with a reason: the centre's administrator and gestionnaire read the reason
    mailoutbox.clear()
    with tenant_context(cci), committed():
        issuance.received_pv_return(
            certificateur=cci, by=staff, public_id=t.public_id, reason="Composition du jury à justifier."
        )
    for address in (admin.user.email, alice.user.email):
        (mail,) = _to(mailoutbox, address)
        assert mail.subject == f"Procès-verbal retourné par CCI France : {jury.intitule}"
        assert "« Composition du jury à justifier. »" in mail.body
        assert f"/o/{org_a.slug}/jurys/{jury.public_id}/" in mail.body
    assert not _to(mailoutbox, staff.user.email)
    # 3. transmitted again: the certificateur is told again
    mailoutbox.clear()
    with tenant_context(org_a), committed():
        pv_transmit_again(transmission=t, by=alice)
        signatory = IssuanceSignatory.objects.filter(named_by="centre").first()
        centre_signatory_name_set(by=admin, signatory_public_id=signatory.public_id, name="Brigitte Démo")
        jury_results_publish(jury=jury, by=admin)
        Candidate.objects.update(email="lea.certifiee@example.fr")
    (again,) = _to(mailoutbox, staff.user.email)
    assert again.subject.startswith("Procès-verbal transmis à nouveau")
    # 4. issued: the centre is told, and the candidate gets the « disponible » e-mail of the parchemin
    mailoutbox.clear()
    with tenant_context(cci), committed():
        issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
    (issued,) = _to(mailoutbox, admin.user.email)
    assert issued.subject == f"Documents émis par CCI France : {jury.intitule}"
    (candidate_mail,) = _to(mailoutbox, "lea.certifiee@example.fr")
    assert candidate_mail.subject == "Votre parchemin est disponible"
    assert "n° CCI-FRANCE-" in candidate_mail.body
