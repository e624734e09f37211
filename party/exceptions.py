"""What can go wrong with a party write beyond bad input, as exceptions the interfaces turn into
409s."""


class VisitConflict(Exception):
    """Someone else completed (or cancelled) the visit first: its version moved on."""

    def __init__(self, expected_version: int, current_version: int | None, status: str):
        self.expected_version = expected_version
        self.current_version = current_version
        self.status = status
        super().__init__(f"stale visit version {expected_version}")
