"""Re-encrypt personal data with the current data key: `python manage.py rotate_data_key
[--dry-run] [--batch-size N] [--new-key]`.

Rotation (docs/operations.md): put the new key first in SANHUA_DATA_KEYS, keep the old ones after
it, restart the processes, run this command, then drop the old keys. Each batch of rows is its
own short transaction (grid/crypto.reencrypt_model), so the application keeps working and a
stopped run picks up where it stopped; reads decrypt old and new values alike meanwhile.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from grid import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every personal field not yet under the current data key (the first of "
        "SANHUA_DATA_KEYS), batch by batch; --dry-run counts the rows to do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count the rows to re-encrypt, change nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=crypto.BATCH_SIZE,
            help=f"rows per transaction (default {crypto.BATCH_SIZE})",
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="print a fresh random key entry for SANHUA_DATA_KEYS and stop",
        )

    def handle(self, *args, dry_run=False, batch_size=crypto.BATCH_SIZE, new_key=False, **opts):
        if new_key:
            self.stdout.write(f"k{timezone.now():%Y%m%d%H%M}:{crypto.new_key()}")
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = crypto.keyring().current
        models = crypto.encrypted_models(apps.get_models())
        if dry_run:
            total = 0
            for model in models:
                count = crypto.count_stale(model)
                total += count
                self.stdout.write(f"{model._meta.db_table}: {count} rows to re-encrypt")
            self.stdout.write(f"{total} rows not under data key {current!r}.")
            return
        total = 0
        for model in models:

            def report(progress: crypto.Progress) -> None:
                self.stdout.write(
                    f"{progress.table}: {progress.done} rows re-encrypted (up to id "
                    f"{progress.last_id})"
                )

            done = crypto.reencrypt_model(model, batch_size=batch_size, report=report)
            total += done
            left = crypto.count_stale(model)
            if left:
                # Rows locked by a writer all through the run: the next run takes them.
                self.stdout.write(f"{model._meta.db_table}: {left} rows busy, run again.")
        self.stdout.write(self.style.SUCCESS(f"{total} rows now under data key {current!r}."))
