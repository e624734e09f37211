"""Extension points: panels other apps add to the pages of an area (the grid page, the
dashboards, the monthly report), to a case's page in the console and to the registry's record
pages, without the page's app importing them.

An app registers its panels in its AppConfig.ready(); whether they show is decided by
INSTALLED_APPS alone. `grid` and `cases` know only this registry, never the app behind a
panel, so the import contracts (pyproject.toml) hold. A panel's context function gets the
request, the area and whatever the page passes (the month of a report) and returns the
template's context, or None when it has nothing to show there (e.g. no right to see it).
"""

from collections.abc import Callable
from dataclasses import dataclass

AREA_PAGE = "area_page"
DASHBOARD = "dashboard"
MONTHLY_REPORT = "monthly_report"
CASE_PAGE = "case_page"  # the area is the case's grid; the page passes `case`
# The registry's pages of a person, household or building: the area is the record's grid, the
# page passes `record`.
REGISTRY_RECORD = "registry_record"
PLACES = (AREA_PAGE, DASHBOARD, MONTHLY_REPORT, CASE_PAGE, REGISTRY_RECORD)


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[..., dict | None]


_registry: dict[str, dict[str, Panel]] = {place: {} for place in PLACES}


def register_panel(place: str, key: str, template: str, context: Callable[..., dict | None]):
    """Show `template` on every page of `place`; registering a key again replaces it (ready()
    may run more than once in tests)."""
    if place not in _registry:
        raise ValueError(f"unknown place {place!r}; one of {PLACES}")
    _registry[place][key] = Panel(key, template, context)


def panels(place: str, request, area, **extra) -> list[dict]:
    """The panels of `place` for `area`, each {"key", "template", "context"}, in the order they
    were registered; panels with nothing to show are left out."""
    shown = []
    for panel in _registry[place].values():
        context = panel.context(request, area, **extra)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown
