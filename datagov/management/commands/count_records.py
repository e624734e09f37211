from django.core.management.base import BaseCommand

from datagov import catalogue


class Command(BaseCommand):
    help = (
        "Bring the resource catalogue up to date with the models, recount the population for the "
        "open statistics and each dataset's records (what the hourly beat task does)."
    )

    def handle(self, *args, **options):
        added = catalogue.sync()
        catalogue.count_records()
        self.stdout.write(f"Catalogue: {added} rows added; records and population counted.")
