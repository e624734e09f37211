"""Sections other apps add to the supervisor's dashboard and the monthly report, without
`cases` importing them (community services register theirs in community/apps.py).

A provider is called with the page's unit (an area of the user's jurisdiction) and period and
returns a dict for its template: {"template": "…html", …}, or None to add nothing.
"""

from collections.abc import Callable
from datetime import date

PAGES = ("dashboard", "report")
_providers: dict[str, list[Callable]] = {page: [] for page in PAGES}


def register(page: str, provider: Callable) -> None:
    """Add `provider(unit=, start=, end=, request=)` to `page` ("dashboard" or "report");
    registering the same provider twice adds it once."""
    if provider not in _providers[page]:
        _providers[page].append(provider)


def sections_for(page: str, *, unit, start: date, end: date, request) -> list[dict]:
    sections = []
    for provider in _providers[page]:
        section = provider(unit=unit, start=start, end=end, request=request)
        if section is not None:
            sections.append(section)
    return sections
