"""What can go wrong with a workflow step, as exceptions the interfaces turn into 409s."""

from django.utils.translation import gettext as _


class InvalidTransition(Exception):
    """The action is not allowed in the case's (or dispatch's) current status."""

    def __init__(self, action: str, status: str, allowed: list[str]):
        self.action, self.status, self.allowed = action, status, allowed
        super().__init__(f"{action} is not allowed in status {status}")


class ConcurrentCaseUpdate(Exception):
    """Someone else changed the case (or dispatch) first: its version moved on."""

    def __init__(self, expected_version: int, current_version: int | None = None):
        self.expected_version, self.current_version = expected_version, current_version
        super().__init__(f"stale version {expected_version}")


class CooperatingDispatchesOpen(Exception):
    """The lead department reported done while cooperating departments still owe their part:
    the case resolves without them only if the lead gives a reason to go ahead."""

    def __init__(self, dispatches):
        # (id, department name, status) of each cooperating dispatch still open.
        self.dispatches = [(d.pk, d.department.name, d.status) for d in dispatches]
        super().__init__(f"cooperating dispatches still open: {[d[0] for d in self.dispatches]}")

    def message(self) -> str:
        return _(
            "Cooperating departments have not reported yet: %(departments)s. Give a reason to "
            "go ahead without them; their dispatches are then closed with the case."
        ) % {"departments": _(", ").join(name for _pk, name, _status in self.dispatches)}
