"""The Content-Security-Policy header (django-csp, set in settings): on the pages, the API and its
docs; scripts only from our own files (no inline code, no eval) everywhere; and no template
holds an inline script or an inline event handler that the policy would refuse. The pages are
loaded under it in a real browser by tests/browser/test_csp.py."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/console/cases/", "/field/report/", "/api/docs/"]
)
def test_every_page_carries_a_policy_of_our_own_scripts_only(admin_client, path):
    response = admin_client.get(path, follow=True)

    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_api_answers_carry_it_too(demo):
    response = Client().get("/api/cases/")
    assert _policy(response)["script-src"] == ["'self'"]


def test_the_old_redoc_address_leads_to_the_swagger_ui_under_the_strict_policy(admin_client):
    # Redoc fetched its logo from a CDN and needed inline styles: it is no longer served.
    moved = admin_client.get("/api/redoc/")
    assert (moved.status_code, moved["Location"]) == (301, "/api/docs/")
    docs = admin_client.get("/api/docs/")
    assert docs.status_code == 200
    assert "redoc" not in docs.content.decode().lower()
    assert "'unsafe-inline'" not in _policy(docs)["style-src"]


def test_no_template_has_an_inline_script_or_event_handler():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {match.group(0).strip()}")
    assert found == []
