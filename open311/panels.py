"""The Open311 panel on the case page of a case an app filed (grid/extensions.py CASE_PAGE):
which app, the link it sent (never fetched), its answers to the service's questions, and the
contact masked, with the way to the audited reveal (views.Contact)."""

from cases.models import Case
from grid import extensions
from open311 import services
from open311.models import Open311Request


def case_panel(request, area, *, case, **extra) -> dict | None:
    if case.source != Case.Source.OPEN311:
        return None  # no query for the cases that came through another door
    row = Open311Request.objects.select_related("client").filter(case=case).first()
    if row is None:
        return None
    contact = services.masked_contact(row)
    return {
        "row": row,
        "has_contact": any(getattr(row, name) for name in Open311Request.CONTACT_FIELDS),
        "contact": " · ".join(value for value in contact.values() if value),
    }


def register() -> None:
    extensions.register_panel(
        extensions.CASE_PAGE, "open311", "open311/_case_panel.html", case_panel
    )
