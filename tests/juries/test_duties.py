"""Issue 16: a jury is seated by an administrator; removing a member voids their invitation;
the PV names who composed the jury."""

import pytest

from core.errors import ApplicationError
from juries import services
from organisations.models import Invitation
from organisations.services import INVALID_INVITATION, invitation_resolve, invitation_token
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.juries.conftest import JURY_DATE


@pytest.fixture
def jury(org_a, alice, referentiels):
    with tenant_context(org_a):
        return services.jury_create(
            by=alice, referentiel=referentiels["rncp"], intitule="Jury", date=JURY_DATE, lieu="Lyon"
        )


def _add(jury, by, email="alias@gestionnaire.fr"):
    return services.jury_member_add(
        jury=jury, by=by, email=email, nom="Alias", prenom="Un", role="professionnel"
    )


def test_gestionnaire_adding_an_unknown_address_sends_no_jury_invitation(org_a, alice, jury, mailoutbox):
    with tenant_context(org_a):
        with pytest.raises(ApplicationError, match="seul un administrateur peut inviter"):
            _add(jury, alice)
        assert not Invitation.objects.exists() and not jury.members.exists()
    assert mailoutbox == []


def test_gestionnaire_may_seat_an_existing_jury_account_and_the_pv_names_who(org_a, alice, jury):
    make_member(org_a, "jury", "jure.existant@test.local")
    with tenant_context(org_a):
        member = _add(jury, alice, "jure.existant@test.local")
        assert member.membership is not None and member.added_by == alice.user
        text = services.pv_contenu(jury)
    name = alice.user.get_full_name() or alice.user.email
    assert f"Composition arrêtée par : {name} (Gestionnaire)" in text


def test_removing_a_member_voids_their_invitation(org_a, jury):
    admin = make_member(org_a, "admin", "admin-a@test.local")
    with tenant_context(org_a):
        member = _add(jury, admin, "nouveau@jury.fr")
        invitation = Invitation.objects.get(email="nouveau@jury.fr")
        token = invitation_token(invitation)
        assert invitation_resolve(token)[1] == invitation
        services.jury_member_remove(member=member, by=admin)
    with pytest.raises(ApplicationError, match=INVALID_INVITATION[:30]):
        invitation_resolve(token)
