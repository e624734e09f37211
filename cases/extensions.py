"""Extension points of cases: apps that act on every case step exactly once (webhooks' outbox)
without cases importing them.

A step's event is written in the step's transaction; its notifications are written later, for
many events at once, by cases.notifications.notify_many, which marks the events notified in the
same transaction (and the sweeper's catch-up redoes any event never notified). A consumer
registered here is called by notify_many with the steps it is marking notified, inside that
transaction: it sees each step exactly once, and what it writes commits with the marking or not
at all. Should a consumer fail, the whole batch is undone and the catch-up tries it again, so a
consumer never loses a step (and must keep up: it holds up the notifications of its batch).

An app registers its consumer in its AppConfig.ready(); the import contracts (pyproject.toml)
keep `cases` ignorant of the app behind it, as grid/extensions.py does for panels.
"""

from collections.abc import Callable, Sequence

# key → function taking the steps being marked notified (cases.notifications.Step tuples).
_consumers: dict[str, Callable[[Sequence], object]] = {}


def register_step_consumer(key: str, consumer: Callable[[Sequence], object]) -> None:
    """Call `consumer(steps)` in every transaction that marks case events notified; registering
    a key again replaces it (ready() may run more than once in tests)."""
    _consumers[key] = consumer


def steps_notified(steps: Sequence) -> None:
    """Hand `steps` to every consumer, in the order they were registered, in the caller's
    transaction."""
    for consumer in list(_consumers.values()):
        consumer(steps)
