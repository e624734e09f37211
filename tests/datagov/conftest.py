import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no cached tables and no request counted against its address."""
    cache.clear()
    yield
    cache.clear()


from tests.grid.conftest import admin_user, family  # noqa: E402, F401  (fixtures)
