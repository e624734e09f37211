"""Schemathesis against the API's own schema (/api/schema/), in process, as each demo role and
as an anonymous visitor: generated requests, valid and invalid, to every operation. No answer
may be a 5xx, and every answer must match what the schema says of it (status code documented,
content type, body shape).

Each generated request is sent as one of the roles, drawn with the rest of the request. Their
number is bounded (EXAMPLES per operation) so the suite stays fast; more digs deeper:
`SANHUA_FUZZ_EXAMPLES=200 pytest tests/resilience/test_api_fuzzing.py`.
"""

import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from governance.models import ApiToken

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SANHUA_FUZZ_EXAMPLES", "16"))
# One login per kind of post (README: demo logins), and nobody.
ROLES = ["grid1", "community", "street", "district", "transport", "supervisor", "admin", None]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def requests_in_the_test_transaction():
    """The WSGI app runs in this thread inside the test's transaction: Django would otherwise
    close the test's connection at the end of each request, as between real requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Served by the app itself, anonymously, without touching the database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def tokens(demo) -> dict:
    """Each demo login's API token."""
    users = get_user_model().objects.filter(username__in=[r for r in ROLES if r])
    return {user.username: ApiToken.objects.create(user)[1] for user in users}


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error_or_an_answer_off_the_schema(case, role, tokens):
    headers = {"Authorization": f"Token {tokens[role]}"} if role else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
