"""Community services' tiles of the workbench (grid/extensions.py): the open and overdue service
requests of a post's area, and the care visits due. Each a link to the list filtered to exactly
the rows it counts; one query each."""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.filtersets import due_schedules
from community.models import ServiceRequest, VisitSchedule
from grid import extensions
from grid.extensions import Tile
from grid.models import Post

R = Post.Role


def request_tiles(request, post) -> list[Tile] | None:
    """Open service requests of the area, and those past their time limit."""
    if post.area is None:
        return None
    counts = ServiceRequest.objects.filter(
        grid__path__startswith=post.area.path, status__in=ServiceRequest.OPEN_STATUSES
    ).aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True)))
    url = reverse("console-service-requests")
    base = {"open": "true", "area": post.area.pk}
    return [
        Tile("service_requests", _("Open service requests"), counts["open"],
             f"{url}?{urlencode(base)}", "primary" if counts["open"] else None),
        Tile("service_requests_overdue", _("Overdue service requests"), counts["overdue"],
             f"{url}?{urlencode({**base, 'overdue': 'true'})}",
             "danger" if counts["overdue"] else None),
    ]  # fmt: skip


def field_visits_tile(request, post) -> Tile | None:
    """A grid worker's care visits due today or overdue (the field app's 关爱 list)."""
    if post.area is None:
        return None
    due = due_schedules(VisitSchedule.objects.filter(grid__path__startswith=post.area.path))
    count = due.count()
    return Tile(
        "visits_due", _("Care visits due"), count, reverse("field-care"),
        "warning" if count else None,
    )  # fmt: skip


def office_visits_tile(request, post) -> Tile | None:
    """The area's care visits overdue (due before today), as the visit overview lists them."""
    if post.area is None:
        return None
    yesterday = timezone.localdate() - timedelta(days=1)
    schedules = VisitSchedule.objects.filter(grid__path__startswith=post.area.path)
    count = due_schedules(schedules, yesterday).count()
    url = f"{reverse('console-care-visits')}?{urlencode({'area': post.area.pk})}"
    return Tile("visits_overdue", _("Care visits overdue"), count, url, "danger" if count else None)


def register() -> None:
    """Called from CommunityConfig.ready()."""
    offices = (R.COMMUNITY_STAFF, R.STREET_STAFF)
    extensions.register_tiles((R.GRID_WORKER, *offices), "community.requests", request_tiles)
    extensions.register_tiles(R.GRID_WORKER, "community.field_visits", field_visits_tile)
    extensions.register_tiles(offices, "community.office_visits", office_visits_tile)
