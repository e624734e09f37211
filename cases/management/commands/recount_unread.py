"""Recount every user's unread notifications from the notifications themselves:
`python manage.py recount_unread`.

The counters (UnreadCount) move with every notification written or marked read by
cases/notifications.py; this repairs them should notifications ever have been written or
deleted some other way (by hand in the database, a restore of one table). Writers of
notifications wait while it runs (one short transaction)."""

from django.core.management.base import BaseCommand

from cases import notifications


class Command(BaseCommand):
    help = "Recount every user's unread notifications (the counters the badges read)."

    def handle(self, *args, **options):
        users = notifications.recount()
        self.stdout.write(
            self.style.SUCCESS(
                f"Unread counts recounted: {users} user(s) with unread notifications."
            )
        )
