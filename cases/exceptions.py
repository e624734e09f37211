"""What can go wrong with a workflow step, as exceptions the interfaces turn into 409s."""


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
