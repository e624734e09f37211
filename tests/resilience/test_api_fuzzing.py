"""Schemathesis against the API's own schema (/api/schema/), in process, as each demo role and
as an anonymous visitor: generated requests, valid and invalid, to every operation. No answer
may be a 5xx, and every answer must match what the schema says of it (status code documented,
content type, body shape: the answers' own shapes, and every error in the one `Error` shape,
`Conflict` for a 409, with their enums and required fields). A third test sends the request
examples the schema shows (filing, steps), as the reporter and as the district.

Each generated request is sent as one of the roles, drawn with the rest of the request. Their
number is bounded (EXAMPLES per operation) so the suite stays fast; more digs deeper:
`SANHUA_FUZZ_EXAMPLES=200 pytest tests/resilience/test_api_fuzzing.py`.

A second run takes the generated requests and makes them hostile where random generation
rarely goes: some of the query parameters and of the body's text fields set to an odd value
(LIKE and format metacharacters, quotes, a NUL byte, a very long string, a character outside
the BMP, numbers far out of range), or the JSON body replaced by one nested 5,000 levels deep.
The same checks apply: no 5xx, nothing off the schema (ODD_EXAMPLES per operation,
`SANHUA_FUZZ_ODD_EXAMPLES` to change it).
"""

import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
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
ODD_EXAMPLES = int(os.environ.get("SANHUA_FUZZ_ODD_EXAMPLES", "6"))
ODD_VALUES = [
    "%", "_", "\\", "'\"", "\x00", "a\x00b", "%00", "%s%(x)s{0}", "x" * 5000, "𠀀", "../..",
    "-1", "9" * 30, "-" + "9" * 30, "1e400", "NaN",
]  # fmt: skip
DEEP_JSON = "[" * 5000 + "]" * 5000
# Generated requests only: the schema's own examples have their test below, as each role.
GENERATED = [Phase.generate, Phase.shrink]
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
    phases=GENERATED,
)
def test_no_generated_request_gets_a_server_error_or_an_answer_off_the_schema(case, role, tokens):
    headers = {"Authorization": f"Token {tokens[role]}"} if role else {}
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema.parametrize()
@schema.given(
    role=st.sampled_from(ROLES),
    odd=st.sampled_from(ODD_VALUES),
    deep=st.booleans(),
    data=st.data(),
)
@settings(
    max_examples=ODD_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=GENERATED,
)
def test_odd_characters_and_deep_json_get_no_server_error_nor_an_answer_off_the_schema(
    case, role, odd, deep, data, tokens
):
    headers = {"Authorization": f"Token {tokens[role]}"} if role else {}
    names = [parameter.name for parameter in case.operation.query]
    if names:
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        case.query = {**(case.query or {}), **dict.fromkeys(chosen, odd)}
    body = {}
    takes_json = any(
        alternative.media_type == "application/json" for alternative in case.operation.body
    )
    if takes_json:
        # This test is about the values (odd text, deep nesting), not the media type: a nested
        # body drawn for a form encoding cannot be sent as one, and DRF answers 415 for it.
        case.media_type = "application/json"
        if not isinstance(case.body, dict | list):
            case.body = {}  # an optional body left out would go without its media type
    if takes_json and deep:
        body = {"data": DEEP_JSON}  # sent as it is: Schemathesis would serialise a structure
    elif isinstance(case.body, dict):
        texts = [key for key, value in case.body.items() if isinstance(value, str)]
        case.body = {**case.body, **dict.fromkeys(texts, odd)}
    case.call_and_validate(headers=headers, checks=CHECKS, **body)


def _shows_request_examples(context) -> bool:
    content = context.operation.definition.raw.get("requestBody", {}).get("content", {})
    return any("examples" in media or "example" in media for media in content.values())


@schema.include(_shows_request_examples).parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit])
@pytest.mark.parametrize("role", ["grid1", "district"])
def test_the_schemas_request_examples_get_answers_on_the_schema(case, role, tokens):
    """The request examples the schema shows (filing, steps …) get documented answers, as the
    reporter and as the district."""
    case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, checks=CHECKS)
