import pytest

from organisations.roles import Role
from tests.conftest import make_member
from tests.documents.conftest import with_totp
from tests.integrations.receiver import Receiver


@pytest.fixture
def admin_a(org_a):
    return with_totp(make_member(org_a, Role.ADMIN, "admin-a@test.local"))


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r
