"""The subscriptions as producing reads them, kept in each process's memory (grid/memo.py) and
reloaded when one is saved, paused or resumed: deciding that nobody wants a batch of events
costs no query."""

from typing import NamedTuple

from grid.memo import Memo
from webhooks.models import Subscription


class Target(NamedTuple):
    """What producing reads of a subscription (paused ones too: their deliveries wait)."""

    pk: int
    event_types: frozenset[str]
    area_id: int | None
    department_id: int | None
    personal: bool
    paused: bool

    def wants(self, event_type: str, path: str | None, departments) -> bool:
        """Whether an event of `event_type`, in the area at `path` ("/1/4/17/"; None: in no
        area) concerning `departments`, is for this subscription."""
        if event_type not in self.event_types:
            return False
        if self.area_id is not None and (path is None or f"/{self.area_id}/" not in path):
            return False
        return self.department_id is None or self.department_id in departments


def _load_targets() -> tuple[Target, ...]:
    rows = Subscription.objects.order_by("pk").values_list(
        "pk", "event_types", "area_id", "department_id", "include_personal_data", "status"
    )
    return tuple(
        Target(
            pk, frozenset(t for t in types or () if isinstance(t, str)), area, department,
            personal, status == Subscription.Status.PAUSED,
        )
        for pk, types, area, department, personal, status in rows
    )  # fmt: skip


SUBSCRIPTIONS = Memo("webhook-subscriptions", _load_targets, models=(Subscription,))


def targets_for(event_types) -> list[Target]:
    """The subscriptions that want any of `event_types` (from memory)."""
    wanted = set(event_types)
    return [t for t in SUBSCRIPTIONS.get() if t.event_types & wanted]
