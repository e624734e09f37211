"""Set area boundaries from a GeoJSON file: `python manage.py import_boundaries FILE`."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grid.services import import_boundaries


class Command(BaseCommand):
    help = (
        "Import a GeoJSON FeatureCollection; each feature names its area by properties.code "
        "(new areas also need name, level and parent_code). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .geojson file (WGS-84)")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig") as handle:
                collection = json.load(handle)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            report = import_boundaries(collection)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if not report.ok:
            for index, errors in sorted(report.errors.items()):
                for field, messages in errors.items():
                    self.stderr.write(f"feature {index}: {field}: {' '.join(messages)}")
            raise CommandError(f"{len(report.errors)} bad feature(s); nothing was written.")
        self.stdout.write(
            self.style.SUCCESS(f"{len(report.created)} created, {len(report.updated)} updated.")
        )
