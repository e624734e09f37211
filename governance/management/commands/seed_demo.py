"""Load the demo district (idempotent): `python manage.py seed_demo [--password P] [--force]`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo import build_categories
from grid.demo import DISTRICT_CODE, build_demo
from grid.models import Area

DEFAULT_PASSWORD = "sanhua123"


class Command(BaseCommand):
    help = "Load the demo district 黄埔区 with its departments and one login per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of every demo login (default {DEFAULT_PASSWORD})",
        )
        parser.add_argument(
            "--force", action="store_true", help="run even when DEBUG is off (not for production)"
        )

    def handle(self, *args, password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo logins with DEBUG off: they have known passwords. "
                "Use --force if this really is a demo machine."
            )
        logins = build_demo(password)
        build_categories(Area.objects.get(code=DISTRICT_CODE))
        self.stdout.write(self.style.SUCCESS("Demo district 黄埔区 is ready."))
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<13} {login.full_name:<6} {login.role} · {login.place}"
            )
