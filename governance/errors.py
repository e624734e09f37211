"""The body of every error answer of the API, for the exception handler (governance/rest.py)
and for what answers outside DRF (middleware, django-axes). No DRF import here: DRF's settings
import governance/rest.py while they load, and the middleware loads before them."""


def error_body(detail, code: str, errors=None, **extra) -> dict:
    """The one shape of every error answer of the API (docs/api.md, the `Error` and `Conflict`
    components of the schema): a message in the request's language, a code a program can test,
    the messages of each field that was not valid (`{}` when none), and what a 409 adds."""
    return {"detail": str(detail), "code": code, "errors": errors or {}, **extra}
