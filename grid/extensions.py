"""Extension points: panels other apps add to the pages of an area (the grid page, the
dashboards, the monthly report), to a case's page in the console and to the registry's record
pages, without the page's app importing them.

An app registers its panels in its AppConfig.ready(); whether they show is decided by
INSTALLED_APPS alone. `grid` and `cases` know only this registry, never the app behind a
panel, so the import contracts (pyproject.toml) hold. A panel's context function gets the
request, the area and whatever the page passes (the month of a report) and returns the
template's context, or None when it has nothing to show there (e.g. no right to see it).

The workbench (the home page, grid.views.HomeView) is built the same way from tiles: see
register_tiles below.
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


# The workbench (工作台): the landing page of every post. Each app registers the numbers that ask
# its users for action (待受理, 超期, 待签收 …) and its key figures of the week, for the roles
# concerned; grid's HomeView shows them, a section per post of the user, without knowing the
# app behind a tile. A tile function gets (request, post) and returns a Tile, a list of them, or
# None when it has nothing for that post. It reads at most one query; a tile's `url` is the
# list filtered to exactly the rows its `count` counts.

ACTION = "action"  # the numbers that ask for action
WEEK = "week"  # my area's key figures of the week
PERSONAL = "personal"  # a role of its own: the user's tiles, shown once above the posts


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    count: int | str | None
    url: str = ""
    # A Bootstrap colour ("danger", "warning", "primary", "success", "secondary") while the
    # number asks for attention; None when it does not (a zero, a figure).
    tone: str | None = None
    unit: str = ""


@dataclass(frozen=True)
class TileSource:
    key: str
    roles: frozenset[str]
    section: str
    compute: Callable[..., "Tile | list[Tile] | None"]


_tiles: dict[str, TileSource] = {}


def register_tiles(roles, key: str, compute: Callable, *, section: str = ACTION) -> None:
    """Show the tiles `compute(request, post)` returns on the workbench of each post whose role
    is one of `roles` (PERSONAL: once per user, with post None). Registering a key again
    replaces it (ready() may run more than once in tests)."""
    if section not in (ACTION, WEEK):
        raise ValueError(f"unknown workbench section {section!r}")
    roles = frozenset([roles] if isinstance(roles, str) else roles)
    _tiles[key] = TileSource(key, roles, section, compute)


def workbench_tiles(request, post, role: str) -> dict[str, list[Tile]]:
    """{section: tiles} of one post (or of the user, role PERSONAL and post None), in the order
    the sources were registered."""
    shown: dict[str, list[Tile]] = {ACTION: [], WEEK: []}
    for source in _tiles.values():
        if role not in source.roles:
            continue
        found = source.compute(request, post)
        if found is None:
            continue
        shown[source.section] += found if isinstance(found, list) else [found]
    return shown
