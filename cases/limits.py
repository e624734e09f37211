"""How long the free text of a case and of its steps may be, in characters.

A report is read on a phone and printed on a work order, so its text is bounded like the
national 12345 hotline's work orders (a description of at most 2,000 characters); a step's reason
or note is a sentence or two, its result a short report. The services refuse longer text per
field (`check_lengths`), and the API's serializers and the pages' forms carry the same limits
so the client sees them (maxLength in the schema, maxlength on the inputs).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Case

TITLE = Case._meta.get_field("title").max_length  # 120
ADDRESS = Case._meta.get_field("address").max_length  # 200
DESCRIPTION = 2000
RESULT = 2000  # what was done: a resolution, a department's report
INSTRUCTIONS = 1000  # the dispatcher's instructions to the departments
REASON = 500  # escalate, return, reject, suspend, urge, reopen, refuse, extension
NOTE = 500  # the verification's note
COMMENT = 500  # what the resident said on a callback

# By the name the field has in the services, the API and the forms.
LIMITS = {
    "title": TITLE,
    "address": ADDRESS,
    "description": DESCRIPTION,
    "result": RESULT,
    "instructions": INSTRUCTIONS,
    "reason": REASON,
    "go_ahead_reason": REASON,  # the lead's reason to resolve before cooperating reports
    "note": NOTE,
    "comment": COMMENT,
}


def length_errors(**texts: str | None) -> dict[str, list[str]]:
    """{field: [message]} for each text longer than its field's limit in LIMITS."""
    errors = {}
    for field, text in texts.items():
        limit = LIMITS[field]
        if text is not None and len(text) > limit:
            errors[field] = [
                _("Use at most {limit} characters (this has {length}).").format(
                    limit=limit, length=len(text)
                )
            ]
    return errors


def check_lengths(**texts: str | None) -> None:
    """Raise ValidationError, per field, for each text longer than its field's limit."""
    errors = length_errors(**texts)
    if errors:
        raise ValidationError(errors)
