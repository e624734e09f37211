"""The API schema's error answers. drf-spectacular documents what a view returns when all goes
well; every endpoint can also answer with the errors governance/rest.py shapes, and a client (or
Schemathesis, tests/resilience/test_api_fuzzing.py) must find them in the schema:

- 400 bad input, a message per field (operations that take a body or query parameters);
- 401 not signed in, or a bad token; 403 the policy says no; 404 nothing of that in your
  jurisdiction (out of scope is 404 everywhere: a row, an area named in the query, a user
  without the post a view needs, a page past the end or a stale cursor) — every operation
  behind sign-in;
- 409 not allowed in the case's (or dispatch's) status, or a stale version (workflow steps,
  and the operations whose view documents a 409);
- and a table that downloads (`?export=csv` or `xlsx`) answers 200 in that format too.

Every error answer has one shape, `Error` ({detail, code, errors}); a 409's `Conflict` adds
what the workflow says (status, allowed actions, versions, open dispatches). A view's own
description of an error answer is kept; its body is always the shared one.
"""

import re

from django.utils.translation import gettext as _

# The one shape of every error answer (governance/rest.py error_response).
ERROR = {
    "type": "object",
    "description": "Every error answer: a message in the request's language (Chinese by "
    "default, English with Accept-Language: en), a code a program can test, and the messages "
    "of each field that was not valid (dotted paths for nested fields, `non_field_errors` for "
    "the input as a whole; `{}` when no field is to blame).",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "code": {
            "type": "string",
            "description": "What went wrong, for programs: `invalid` (400, see `errors`), "
            "`parse_error` (400, the body is not readable), `not_authenticated` and "
            "`authentication_failed` (401), `permission_denied` (403), `not_found` (404), "
            "`method_not_allowed` (405), `unsupported_media_type` (415), `throttled` and "
            "`locked_out` (429).",
        },
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code", "errors"],
    "additionalProperties": False,
}
OPEN_DISPATCH = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "department": {"type": "string", "description": "The department's name"},
        "status": {"$ref": "#/components/schemas/DispatchStatusEnum"},
        "status_label": {"type": "string"},
    },
    "required": ["id", "department", "status", "status_label"],
    "additionalProperties": False,
}
CONFLICT = {
    "type": "object",
    "description": "409: the step is not allowed in the row's status (`invalid_transition`, "
    "with the status now and the steps you may take now), someone changed the row after you "
    "read it (`stale_version`, with your version and the current one), or the lead "
    "department reported done before the cooperating ones (`cooperating_dispatches_open`, "
    "naming them).",
    "properties": {
        **ERROR["properties"],
        "code": {
            "type": "string",
            "enum": ["invalid_transition", "stale_version", "cooperating_dispatches_open"],
        },
        "status": {"type": "string", "description": "The row's status now"},
        "allowed_actions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The steps you may take now (each a POST …/{id}/{step}/)",
        },
        "your_version": {"type": "integer", "description": "The version you said you read"},
        "current_version": {"type": "integer", "nullable": True},
        "open_dispatches": {"type": "array", "items": OPEN_DISPATCH},
    },
    "required": ["detail", "code", "errors"],
    "additionalProperties": False,
}
EXAMPLES = {
    "400": {
        "detail": "请填写原因。",
        "code": "invalid",
        "errors": {"reason": ["请填写原因。"]},
    },
    "401": {"detail": "身份认证信息未提供。", "code": "not_authenticated", "errors": {}},
    "403": {"detail": "您没有执行该操作的权限。", "code": "permission_denied", "errors": {}},
    "404": {"detail": "未找到。", "code": "not_found", "errors": {}},
    "409": {
        "detail": "当前状态“已派遣”下不允许执行“accept”操作。",
        "code": "invalid_transition",
        "errors": {},
        "status": "dispatched",
        "allowed_actions": ["urge"],
    },
}
THROTTLED = {"detail": "请求超过了限速。", "code": "throttled", "errors": {}}
WORKFLOW_STEP = re.compile(r"^/api/(cases|dispatches)/\{id\}/\w+/$")
METHODS = ("get", "put", "patch", "post", "delete")


def _answer(description: str, schema_name: str, code: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{schema_name}"},
                "example": EXAMPLES.get(code, THROTTLED if code == "429" else EXAMPLES["403"]),
            }
        },
    }


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the error answers every operation can give, all
    in the one shape (`Error`; `Conflict` for 409). A view may describe an error answer in its
    own words: its description is kept, its body is the shared one."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error=ERROR, Conflict=CONFLICT)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            parameters = operation.get("parameters", [])
            answers = {}
            if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
                answers["400"] = _("Bad input, a message per field")
            if operation.get("security"):
                answers["401"] = _("Not signed in, or the token is not valid")
                answers["403"] = _("You are not allowed to do this")
                answers["404"] = _("Not found in your jurisdiction")
            responses = operation.setdefault("responses", {})
            if method == "post" and WORKFLOW_STEP.match(path) or "409" in responses:
                answers["409"] = _("Not allowed in the current status, or a stale version")
            for code in responses:
                if code.startswith("4") and code not in answers:
                    answers[code] = _(
                        "Refused: see the code"
                    )  # a view's own (429 …): its description stays
            for code, description in answers.items():
                given = responses.get(code, {}).get("description")
                name = "Conflict" if code == "409" else "Error"
                responses[code] = _answer(given or description, name, code)
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
