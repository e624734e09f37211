"""The objections' panels on other apps' pages, through grid/extensions.py (registered in
DatagovConfig.ready()), so grid and cases never import datagov:

- a registry record's page (person, household, building): the "数据异议" form and the record's
  open objections; the page itself is scoped, so whoever sees it may object;
- the dashboard: open objections per grid of the unit shown (one GROUP BY query);
- the area page: the area's open objections, linked to the list.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from datagov import objections
from datagov.models import Objection
from datagov.objection_forms import RaiseForm
from grid import extensions
from grid.jurisdiction import covers
from grid.models import Building, House

RECORD_OBJECTIONS_SHOWN = 10


def record_panel(request, area, *, record, **extra) -> dict | None:
    record_type = next(
        (key for key, model in objections.MODELS.items() if isinstance(record, model)), None
    )
    if record_type is None:
        return None
    about = Q(**{str(record_type): record})
    houses = []
    if isinstance(record, Building):
        # A room's objection is raised from its building's page: the rooms are offered too.
        houses = list(House.objects.filter(building=record).order_by("unit", "floor", "number"))
        about |= Q(house__building=record)
    shown = list(
        Objection.objects.filter(about, status=Objection.Status.OPEN).order_by("-id")[
            :RECORD_OBJECTIONS_SHOWN
        ]
    )
    return {
        "record_type": record_type,
        "record": record,
        "houses": houses,
        "form": RaiseForm(record_type=record_type, auto_id="id_objection_%s"),
        "open": shown,
    }


def dashboard(request, area, **extra) -> dict | None:
    if area is None or not covers(request.user, area):
        return None
    rows = objections.open_per_grid(area)
    return {
        "rows": rows,
        "total": sum(row["open"] for row in rows),
        "list_url": _list_url(area),
    }


def area_page(request, area, **extra) -> dict | None:
    if not covers(request.user, area):
        return None
    return {"open": objections.open_count(area), "list_url": _list_url(area)}


def _list_url(area) -> str:
    return reverse("datagov-objections") + "?" + urlencode({"area": area.pk, "status": "open"})


def register() -> None:
    extensions.register_panel(
        extensions.REGISTRY_RECORD, "objections", "datagov/objections/_raise.html", record_panel
    )
    extensions.register_panel(
        extensions.DASHBOARD, "objections", "datagov/objections/_dashboard.html", dashboard
    )
    extensions.register_panel(
        extensions.AREA_PAGE, "objections", "datagov/objections/_area.html", area_page
    )
