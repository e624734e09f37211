"""Load the demo district, its case categories and its registry (idempotent):
`python manage.py seed_demo [--password P] [--persons N] [--cases N] [--seed S] [--force]`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo import build_categories, build_history, build_open_dispatches
from cases.models import Category
from community.demo import build_activity, build_catalogue
from datagov.catalogue import count_records
from datagov.demo import build_objections, build_sharing
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY, build_demo
from grid.models import Area
from grid.population import DEFAULT_SEED, seed_population
from party.demo import build_party
from party.models import HouseholdLink, Member, Organisation

DEFAULT_PASSWORD = "sanhua123"


class Command(BaseCommand):
    help = (
        "Load the demo district 黄埔区 with its departments, one login per role, the case "
        "categories and routing rules, the community-service catalogue, buildings, houses, "
        "households and people in its grids, and its party organisations with members linked to "
        "households (with --cases: service requests and care visits)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of every demo login (default {DEFAULT_PASSWORD})",
        )
        parser.add_argument(
            "--persons",
            type=int,
            default=None,
            help="fill the demo grids up to N living persons in all, spread evenly (default: "
            "200 households in each grid of 黄埔花园社区, 20 in every other grid)",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            help="file N cases over the last 60 days and take them down likely paths, so the "
            "dashboards and queues have something to show (only when there are no cases yet; "
            "default 0)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"random seed of the demo population (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--force", action="store_true", help="run even when DEBUG is off (not for production)"
        )

    def handle(self, *args, password, persons, cases, seed, force, verbosity, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo logins with DEBUG off: they have known passwords. "
                "Use --force if this really is a demo machine."
            )
        if persons is not None and persons < 0:
            raise CommandError("--persons must be 0 or more.")
        if cases < 0:
            raise CommandError("--cases must be 0 or more.")
        logins = build_demo(password)
        # Without categories nobody can file a case: the district's catalogue comes with it.
        build_categories(Area.objects.get(code=DISTRICT_CODE))
        added = seed_population(
            persons=persons, seed=seed, progress=self.stderr if verbosity > 0 else None
        )
        # After the registry: party members are residents whose political status says so.
        build_party(seed=seed)
        filed = build_history(cases=cases, seed=seed)
        if filed:
            # The history's dispatches are all answered: leave the departments some work.
            filed += build_open_dispatches()
        # The community-service catalogue always; requests and visits with the cases' history.
        services = build_catalogue()
        activity = build_activity(seed=seed, requests=max(20, cases // 5)) if cases else None
        # Two open data objections in grid1's grid, for the community to resolve.
        objections = build_objections()
        # The resource catalogue with its owners, record counts and the open statistics'
        # population counts, at once rather than at the first hourly count.
        count_records()
        # One sharing request of the transport bureau, waiting for the community's decision.
        shared = build_sharing()
        self.stdout.write(self.style.SUCCESS("Demo district 黄埔区 is ready."))
        self.stdout.write(
            f"Case categories: {Category.objects.filter(parent__isnull=False).count()} in "
            f"{Category.objects.filter(parent__isnull=True).count()} groups."
        )
        self.stdout.write(
            f"Registry: added {added.persons} persons in {added.households} households, "
            f"{added.houses} houses and {added.buildings} buildings in {added.grids} grids."
        )
        self.stdout.write(
            f"Party building: {Organisation.objects.count()} organisations, "
            f"{Member.objects.count()} members, "
            f"{HouseholdLink.objects.filter(ended_on__isnull=True).count()} linked households."
        )
        if filed:
            self.stdout.write(f"Cases: filed {filed} over the last 60 days.")
        self.stdout.write(f"Community services: {services} in the catalogue.")
        if objections:
            self.stdout.write(f"Data objections: {objections} open in {HOME_COMMUNITY}.")
        if activity and activity["requests"]:
            self.stdout.write(
                f"Community services: {activity['requests']} requests and "
                f"{activity['visits']} care visits in {HOME_COMMUNITY}."
            )
        if shared is not None:
            self.stdout.write(
                f"Data sharing: request #{shared.pk} of {shared.department} for the households "
                f"of {shared.area}, {shared.get_status_display()}."
            )
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<13} {login.full_name:<6} {login.role} · {login.place}"
            )
