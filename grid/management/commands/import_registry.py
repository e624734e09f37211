"""Import buildings, houses, households or persons from a CSV or XLSX file:
`python manage.py import_registry FILE [--grid CODE] [--dry-run | --keep-good-rows]`.

The layout of the file is described in grid/imports.py. The file is read and imported chunk by
chunk (--chunk-rows) behind a progress bar. Every bad row is printed with its line, field and
reason; the exit status is 1 when rows were bad and nothing was written.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from grid import imports
from grid.models import Area, ImportJob


class Command(BaseCommand):
    help = (
        "Import registry rows (buildings, houses, households, persons) from a CSV (UTF-8 or "
        "GB18030) or XLSX file. All or nothing unless --keep-good-rows; --dry-run only checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .csv or .xlsx file")
        parser.add_argument(
            "--grid",
            metavar="CODE",
            help="code of the grid (or community, street …) to import into; without it, the "
            "district, and every row names its grid in a 网格 column",
        )
        parser.add_argument(
            "--kind",
            choices=ImportJob.Kind.values,
            default=ImportJob.Kind.AUTO,
            help="what the tables hold (default: recognised from the columns)",
        )
        parser.add_argument("--user", help="username recorded as the importer (and checked)")
        parser.add_argument(
            "--chunk-rows",
            type=int,
            default=imports.CHUNK_ROWS,
            help=f"rows checked and written together (default {imports.CHUNK_ROWS})",
        )
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        modes.add_argument(
            "--keep-good-rows", action="store_true", help="write the good rows, report the bad"
        )

    def handle(self, *args, file, grid, kind, user, dry_run, keep_good_rows, chunk_rows, **options):
        if chunk_rows < 1:
            raise CommandError("--chunk-rows must be 1 or more.")
        area = self._area(grid)
        actor = self._user(user)
        if dry_run:
            mode = ImportJob.Mode.DRY_RUN
        elif keep_good_rows:
            mode = ImportJob.Mode.KEEP_GOOD_ROWS
        else:
            mode = ImportJob.Mode.ALL_OR_NOTHING
        try:
            handle = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            # The file is read as the rows are imported, chunk by chunk, never whole.
            with handle, imports.open_tables(handle, kind=kind) as tables:
                report = self._import(tables, area, actor, mode, Path(file).name, chunk_rows)
        except imports.ImportFileError as exc:
            self._print_errors(exc.errors)
            raise CommandError("The file cannot be imported; nothing was written.") from None
        self._print_errors(report.errors)
        created = ", ".join(
            f"{kind} {report.created[kind]}" for kind in imports.KIND_ORDER if report.created[kind]
        )
        self.stdout.write(
            f"{report.total_rows} row(s), {report.bad_rows} bad, {report.written_rows} written"
            + (f" ({created})" if report.written and created else "")
            + "."
        )
        if report.bad_rows and not report.written:
            raise CommandError(f"{report.bad_rows} bad row(s); nothing was written.")
        if mode == ImportJob.Mode.DRY_RUN:
            self.stdout.write(self.style.SUCCESS("Every row is good (dry run: nothing written)."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def _import(self, tables, area, actor, mode, file_name, chunk_rows):
        total = sum(table.size_hint for table in tables)
        # The bar goes to the real stderr stream: Django's wrapper would add a newline to each
        # of tqdm's carriage-return updates.
        with tqdm(total=total, unit="row", file=getattr(self.stderr, "_out", None)) as bar:
            step = max(1, total // 1000)

            def advance(done: int, expected: int) -> None:
                # Called for every row: the bar moves a thousandth at a time.
                if done - bar.n >= step:
                    bar.total = expected  # the size hint, until the rows outnumber it
                    bar.update(done - bar.n)

            try:
                report = imports.import_tables(
                    tables,
                    area=area,
                    actor=actor,
                    mode=mode,
                    progress=advance,
                    file_name=file_name,
                    chunk_rows=chunk_rows,
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
            # Blank lines are no rows: the bar ends where the rows did.
            bar.total = report.total_rows
            bar.update(report.total_rows - bar.n)
        return report

    def _area(self, code: str | None) -> Area:
        if code:
            area = Area.objects.filter(code=code).first()
            if area is None:
                raise CommandError(f"No area with the code {code}.")
            return area
        districts = list(Area.objects.filter(parent=None)[:2])
        if len(districts) != 1:
            raise CommandError("Give the area to import into with --grid CODE.")
        return districts[0]

    def _user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username}.")
        return user

    def _print_errors(self, errors) -> None:
        for error in errors:
            where = f"{error.sheet}!{error.line}" if error.sheet else f"line {error.line}"
            column = f" ({error.column})" if error.column and error.column != error.field else ""
            self.stderr.write(f"{where}: {error.field or '-'}{column}: {error.message}")
