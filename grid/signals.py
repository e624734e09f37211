"""Signals grid sends for other apps to act on, since grid never imports them.

`access_limit_reached(alert)`: an account used up its hourly allowance of reveals or personal
exports (grid.models.AccessAlert). Sent inside the transaction that writes the alert, so what
a receiver writes (cases/: notifications to the supervisors) stands or falls with it.
"""

from django.dispatch import Signal

access_limit_reached = Signal()
