"""The API schema's error answers. drf-spectacular documents what a view returns when all goes
well; every endpoint can also answer with the errors governance/rest.py shapes, and a client (or
Schemathesis, tests/resilience/test_api_fuzzing.py) must find them in the schema:

- 400 bad input, a message per field (operations that take a body or query parameters);
- 401 not signed in, or a bad token; 403 the policy says no; 404 nothing of that in your
  jurisdiction (out of scope is 404 everywhere: a row, an area named in the query, a user
  without the post a view needs, a page past the end or a stale cursor) — every operation
  behind sign-in;
- 409 not allowed in the case's (or dispatch's) status, or a stale version (workflow steps);
- and a table that downloads (`?export=csv` or `xlsx`) answers 200 in that format too.

Answers a view documents itself are kept.
"""

import re

from django.utils.translation import gettext as _

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", …], …}, {"non_field_errors": […]} or {"detail": "…"} (unreadable body).
FIELD_ERRORS = {"type": "object", "additionalProperties": True}
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["invalid_transition", "stale_version"]},
    },
    "required": ["detail", "code"],
}
WORKFLOW_STEP = re.compile(r"^/api/(cases|dispatches)/\{id\}/\w+/$")
METHODS = ("get", "put", "patch", "post", "delete")


def _answer(description: str, schema_name: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the error answers every operation can give."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ErrorDetail=DETAIL, FieldErrors=FIELD_ERRORS, Conflict=CONFLICT)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            parameters = operation.get("parameters", [])
            answers = {}
            if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
                answers["400"] = _answer(_("Bad input, a message per field"), "FieldErrors")
            if operation.get("security"):
                answers["401"] = _answer(
                    _("Not signed in, or the token is not valid"), "ErrorDetail"
                )
                answers["403"] = _answer(_("You are not allowed to do this"), "ErrorDetail")
                answers["404"] = _answer(_("Not found in your jurisdiction"), "ErrorDetail")
            if method == "post" and WORKFLOW_STEP.match(path):
                answers["409"] = _answer(
                    _("Not allowed in the current status, or a stale version"), "Conflict"
                )
            responses = operation.setdefault("responses", {})
            for code, answer in answers.items():
                responses.setdefault(code, answer)
            _document_downloads(operation)
    return result


DOWNLOADS = {
    "csv": ("text/csv", {"type": "string"}),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        {"type": "string", "format": "binary"},
    ),
}


def _document_downloads(operation: dict) -> None:
    # A table that downloads with ?export=csv|xlsx answers 200 in that format as well.
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query" or parameter["name"] != "export":
            continue
        content = operation["responses"].get("200", {}).setdefault("content", {})
        for kind in parameter.get("schema", {}).get("enum", []):
            if kind in DOWNLOADS:
                media_type, schema = DOWNLOADS[kind]
                content.setdefault(media_type, {"schema": schema})
