"""Issue 16, separation of duties: « only an admin invites or grants `jury` and `admin`; a jury's
members can be seated only by an admin or the certificateur's rule, and the PV shows who composed
the jury ». A gestionnaire prepares the jury (dates, candidates, opening) and reads its
composition; seating or removing a member is refused to them in the service, on the page and in
the API, and nothing is written. Removing a member voids their invitation."""

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from juries import services
from juries.models import JuryMember
from organisations.models import AuditEvent, Invitation
from organisations.services import INVALID_INVITATION, invitation_resolve, invitation_token
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.documents.conftest import with_totp
from tests.juries.conftest import JURY_DATE

SEATING_REFUSED = "Seul un administrateur du centre compose le jury"


@pytest.fixture
def jury(org_a, alice, referentiels):
    with tenant_context(org_a):
        return services.jury_create(
            by=alice, referentiel=referentiels["rncp"], intitule="Jury", date=JURY_DATE, lieu="Lyon"
        )


@pytest.fixture
def admin(org_a):
    return with_totp(make_member(org_a, "admin", "admin-a@test.local"))


@pytest.fixture
def jure(org_a):
    """An existing ``jury`` account of the centre (created by an administrator)."""
    return make_member(org_a, "jury", "jure.existant@test.local")


def _add(jury, by, email="alias@gestionnaire.fr"):
    return services.jury_member_add(
        jury=jury, by=by, email=email, nom="Alias", prenom="Un", role="professionnel"
    )


def _writes(org):
    with tenant_context(org):
        return (
            list(JuryMember.objects.values_list("email", flat=True)),
            Invitation.objects.count(),
            AuditEvent.objects.filter(action__startswith="jury.member").count(),
        )


def test_gestionnaire_cannot_seat_even_an_existing_jury_account(org_a, alice, jury, jure, mailoutbox):
    with tenant_context(org_a):
        with pytest.raises(ApplicationError, match=SEATING_REFUSED) as exc:
            _add(jury, alice, jure.user.email)
        assert "demandez-le à un administrateur" in exc.value.message
    assert _writes(org_a) == ([], 0, 0)
    assert mailoutbox == []


def test_gestionnaire_adding_an_unknown_address_sends_no_jury_invitation(org_a, alice, jury, mailoutbox):
    with tenant_context(org_a):
        with pytest.raises(ApplicationError, match=SEATING_REFUSED):
            _add(jury, alice)
    assert _writes(org_a) == ([], 0, 0)
    assert mailoutbox == []


def test_gestionnaire_cannot_remove_a_member_the_admin_seated(org_a, alice, admin, jury, jure):
    with tenant_context(org_a):
        member = _add(jury, admin, jure.user.email)
        before = _writes(org_a)
        with pytest.raises(ApplicationError, match=SEATING_REFUSED):
            services.jury_member_remove(member=member, by=alice)
        assert jury.members.filter(pk=member.pk).exists()
    assert _writes(org_a) == before


def test_admin_seats_and_the_pv_names_who_composed_the_jury(org_a, admin, jury, jure):
    with tenant_context(org_a):
        member = _add(jury, admin, jure.user.email)
        assert member.membership == jure and member.added_by == admin.user
        text = services.pv_contenu(jury)
    name = admin.user.get_full_name() or admin.user.email
    assert f"Composition arrêtée par : {name} (Administrateur)" in text


def test_the_page_shows_the_composition_read_only_to_the_gestionnaire(
    org_a, alice, admin, jury, jure, client_for
):
    with tenant_context(org_a):
        member = _add(jury, admin, jure.user.email)
    kwargs = {"org_slug": org_a.slug, "jury_id": jury.public_id}
    detail = reverse("jury_detail", kwargs=kwargs)
    add_url = reverse("jury_member_add", kwargs=kwargs)
    remove_url = reverse("jury_member_remove", kwargs=kwargs | {"member_id": member.public_id})

    page = client_for(alice).get(detail).content.decode()
    assert "Composition du jury" in page and jure.user.email in page  # read-only composition
    assert add_url not in page and remove_url not in page and "Ajouter au jury" not in page
    assert "Seul un administrateur du centre ajoute ou retire les membres du jury." in page
    # the gestionnaire still runs the jury: the deliberation opens once the jury can sit
    assert "La délibération s'ouvre quand le jury peut siéger." in page or "Ouvrir la délibération" in page
    before = _writes(org_a)
    fields = {"email": "alias@gestionnaire.fr", "nom": "Alias", "prenom": "Un", "role": "professionnel"}
    assert client_for(alice).post(add_url, fields).status_code == 403
    assert client_for(alice).post(remove_url).status_code == 403
    assert _writes(org_a) == before

    page = client_for(admin).get(detail).content.decode()
    assert add_url in page and remove_url in page and "Ajouter au jury" in page
    response = client_for(admin).post(remove_url, follow=True)
    assert "Membre retiré." in response.content.decode()
    with tenant_context(org_a):
        assert not jury.members.exists()


def test_the_api_answers_403_to_the_gestionnaire_and_writes_nothing(org_a, alice, admin, jury, jure, api_for):
    with tenant_context(org_a):
        member = _add(jury, admin, jure.user.email)
    base = f"/api/v1/o/{org_a.slug}/juries/{jury.public_id}/members/"
    body = {"email": "alias@gestionnaire.fr", "nom": "Alias", "prenom": "Un", "role": "professionnel"}
    before = _writes(org_a)
    gest = api_for(alice)
    for response in (gest.post(base, body, format="json"), gest.delete(f"{base}{member.public_id}/")):
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Votre rôle ne permet pas cette action."
    assert gest.get(base).status_code == 200  # reading the composition stays open
    assert _writes(org_a) == before
    response = api_for(admin).post(base, body | {"email": "autre.jure@example.fr"}, format="json")
    assert response.status_code == 201, response.content
    assert api_for(admin).delete(f"{base}{member.public_id}/").status_code == 204


def test_removing_a_member_voids_their_invitation(org_a, admin, jury):
    with tenant_context(org_a):
        member = _add(jury, admin, "nouveau@jury.fr")
        invitation = Invitation.objects.get(email="nouveau@jury.fr")
        token = invitation_token(invitation)
        assert invitation_resolve(token)[1] == invitation
        services.jury_member_remove(member=member, by=admin)
    with pytest.raises(ApplicationError, match=INVALID_INVITATION[:30]):
        invitation_resolve(token)
