"""The department inbox's task cards (/console/dispatches/): each dispatch of my department
shows the case's description, its photos (thumbnails; a click opens the full photo), where it
is (a small map: static/ turns the `data-sanhua-map` element into one; its text says the same
without scripts), the deadlines and the history so far — read through cases/cards.py, so the
inbox costs the same few queries whatever the number of cards."""

from datetime import datetime

from django.utils.translation import gettext as _

from cases import cards
from cases.models import Dispatch


def duration(seconds: int) -> str:
    """A length of time as staff read it: 3天4小时, 5小时20分钟, 12分钟."""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def remaining_text(deadlines: dict) -> str:
    """ "2 h 10 min left", "1 d 3 h late", or "" for a dispatch no longer open."""
    remaining = deadlines["remaining_seconds"]
    if remaining is None:
        return ""
    if remaining < 0:
        return _("%(time)s late") % {"time": duration(remaining)}
    return _("%(time)s left") % {"time": duration(remaining)}


def with_cards(queryset):
    """The dispatches with everything their cards show."""
    return cards.with_cards(queryset)


def decorate_card(dispatch: Dispatch, now: datetime) -> None:
    """Attach the card (dispatch.card) to a dispatch read through with_cards."""
    case = dispatch.case
    deadlines = cards.deadlines(dispatch, now)
    dispatch.card = {
        "description": case.description,
        "photos": cards.photos(case),
        "location": cards.location(case),
        "deadlines": deadlines,
        "remaining": remaining_text(deadlines),
        "history": cards.history(case),
        "map": map_source(case),
        "map_id": f"card-map-{dispatch.pk}",
    }


def map_source(case) -> dict:
    """The small map's data (static/maps/sanhua-map.js, data-source): the case's grid boundary
    and the pin. Embedded in the card because a department may not read areas through the API;
    a grid's boundary is open data (普遍共享), and it came with the card's own query."""
    place = cards.location(case)
    grid = case.grid
    features = []
    if grid.boundary:
        features.append(
            {
                "type": "Feature",
                "id": grid.pk,
                "geometry": grid.boundary,
                "properties": {"name": grid.name},
            }
        )
    point = [place["lng"], place["lat"]] if place["lng"] is not None else None
    return {
        "areas": {"type": "FeatureCollection", "features": features},
        "highlight": grid.pk,
        "point": point,
        "exact": place["exact"],
        "label": case.number,
    }
