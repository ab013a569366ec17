import pytest

from tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    """A portal admin: staff, in the Admin group (which the migrations give the partners
    permissions)."""
    return UserFactory(admin=True)
