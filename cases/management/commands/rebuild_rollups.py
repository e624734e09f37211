"""Recompute the dashboards' rollups from the case histories: `python manage.py rebuild_rollups`.

Needed once after the rollup tables are created on a database that already holds cases, and
whenever the rollups are in doubt. Case steps wait while it runs (one transaction)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases import rollups
from cases.models import Case


class Command(BaseCommand):
    help = "Empty the rollup tables and recompute them from every case's history (CaseEvent rows)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=1000, help="cases read and counted at a time"
        )

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        # A bar on a terminal only, so logs do not fill with carriage-return updates.
        with tqdm(total=Case.objects.count(), unit="case", file=self.stderr, disable=None) as bar:
            counted = rollups.rebuild(batch=batch, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Rollups rebuilt from {counted} case(s)."))
