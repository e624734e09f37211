"""Shared fixtures: the demo district (loaded once per test database), API clients signed in as
each demo login, and small helpers to make users with posts."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from cases.demo import build_categories
from grid import memo, services
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY, HOME_STREET, build_demo
from grid.models import Area, CareTag

DEMO_PASSWORD = "demo-pass"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_demo(DEMO_PASSWORD)
        build_categories(Area.objects.get(code=DISTRICT_CODE))


@pytest.fixture(autouse=True)
def _fresh_memos():
    """Each test starts with nothing in the process's memos (grid/memo.py): a transactional
    test's flush empties the tables without a signal, and the next test rebuilds the demo."""
    memo.forget_all()


def _code_tables_loaded() -> None:
    """The code tables and care tags a migration loads (grid 0003): a transactional test's flush
    empties them with everything else, so they are loaded again with the demo."""
    if not CareTag.objects.exists():
        migration = importlib.import_module("grid.migrations.0003_code_tables")
        migration.load(django_apps, None)


def _stock_phrases_loaded() -> None:
    """The stock phrases a migration seeds (cases 0011), loaded again after a flush likewise."""
    from cases.models import StockPhrase

    if not StockPhrase.objects.exists():
        migration = importlib.import_module("cases.migrations.0011_stock_phrases")
        migration.seed_phrases(django_apps, None)


@pytest.fixture
def demo(db):
    """The demo district, rebuilt if a transactional test emptied the database."""
    _code_tables_loaded()
    _stock_phrases_loaded()
    if not Area.objects.filter(code=DISTRICT_CODE).exists():
        build_demo(DEMO_PASSWORD)
        build_categories(Area.objects.get(code=DISTRICT_CODE))
        _settle_memos()
    return Area.objects.get(code=DISTRICT_CODE)


def _settle_memos() -> None:
    """The demo rebuilt inside the test's transaction leaves each memo's version bump waiting
    for a commit that never comes, and a memo with a bump waiting reads its rows afresh on every
    call (grid/memo.py): the test would count queries a server does not make. The test's
    transaction is all this process will ever see, so its edits count as committed: the bumps
    are dropped and the copies forgotten, to be read again once."""
    bumps = [entry._bump for entry in memo._memos.values()]
    connection.run_on_commit = [
        pending for pending in connection.run_on_commit if pending[1] not in bumps
    ]
    memo.forget_all()


@pytest.fixture
def home_street(demo):
    return demo.children.get(name=HOME_STREET)


@pytest.fixture
def home_community(home_street):
    return home_street.children.get(name=HOME_COMMUNITY)


@pytest.fixture
def home_grids(home_community):
    """The four grids of 黄埔花园社区; grid1 works the first, grid2 the second."""
    return list(home_community.children.order_by("code"))


@pytest.fixture
def other_community(home_street, home_community):
    return home_street.children.exclude(pk=home_community.pk).order_by("code").first()


@pytest.fixture
def other_street(demo, home_street):
    return demo.children.exclude(pk=home_street.pk).order_by("code").first()


@pytest.fixture
def login(demo):
    """login("grid1") → an APIClient authenticated with that demo user's token."""

    def make(username: str) -> APIClient:
        client = APIClient()
        response = client.post(
            "/api/auth/token/", {"username": username, "password": DEMO_PASSWORD}, format="json"
        )
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    return make


@pytest.fixture
def make_user(db):
    """make_user("name", role=..., area=... | department=...) → a user holding that post."""

    def make(username: str, **post):
        user = get_user_model().objects.create_user(username=username, password=DEMO_PASSWORD)
        if post:
            services.assign_post(user, **post)
        return user

    return make
