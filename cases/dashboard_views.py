"""The supervisor dashboard (绩效考评 / 决策信息库), the command centre's wall screen (指挥中心),
a unit's printable monthly report (月度报告) and its registry statistics (人口统计).

Server-rendered from cases/reports.py (the rollups) and grid/exports.py (the registry's
counts); ECharts from our static files draws the charts and the map of area polygons (GeoJSON
from /api/areas/geojson/, no online tiles). Every page is scoped like every other: the unit
asked for (`?unit=`) must lie in the user's jurisdiction, else 404, and the unit list offers
only areas inside it.
"""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cases import metrics, periods, reports
from cases.metrics import Period
from cases.models import Category
from grid import exports, extensions
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import Area, Department

# The KPI tiles of the dashboard, in order.
TILES = [
    "received",
    "closed",
    "closure_rate",
    "on_time_rate",
    "grid_rate",
    "rework_rate",
    "satisfaction_rate",
    "average_hours",
    "overdue",
    "urged",
]
MAX_PERIOD_DAYS = 5 * 366
# The wall screen: today's tiles, and how often it asks for fresh figures (live counts and
# today's figures; the 30-day charts and the ranking less often).
WALL_TILES = ["received", "closed", "closure_rate", "overdue", "urged", "escalated_in"]
WALL_REFRESH_SECONDS = 30
WALL_SLOW_REFRESH_SECONDS = 300
GRADE_STYLES = {"green": "success", "yellow": "warning", "red": "danger"}
POPULATION_GROUPS = {
    "total": _("All"),
    "population": _("Population type"),
    "sex": _("Sex"),
    "age": _("Age band"),
    "care": _("Care tags"),
}
# The tables of the population page, each a few groups of counts narrow enough for a screen.
POPULATION_TABLES = [
    (_("Persons by population type, sex and age"), ["total", "population", "sex", "age"]),
    (_("Persons by care tag"), ["total", "care"]),
]
# The monthly report: the figures in its head, and those of its supervision section.
REPORT_HEADLINES = ["received", "closed", "closure_rate", "on_time_rate", "satisfaction_rate"]
REPORT_SUPERVISION = ["overdue", "overdue_open", "urged", "auto_escalated_out", "deadline_misses"]
# 同比 needs the year before; no grid-governance history is older.
EARLIEST_MONTH = date(2000, 1, 1)


def shown(value, unit: str) -> str:
    """A measure's value as a tile shows it: 71.43%, 30.4 h, 9; a dash for no value."""
    if value is None:
        return "–"
    if unit == metrics.PERCENT:
        return f"{value:.2f}%"
    if unit == metrics.HOURS:
        return f"{value:.1f} h"
    return str(value)


def shown_change(change, unit: str, better: int) -> dict | None:
    """A 环比/同比 change as an arrow, its size, and a colour saying good (green) or bad."""
    if change is None:
        return None
    suffix = _("pp") if unit == metrics.PERCENT else "%"
    direction = (change > 0) - (change < 0)
    tone = (
        "secondary"
        if not direction or not better
        else ("success" if direction == better else "danger")
    )
    arrow = {1: "▲", -1: "▼", 0: "="}[direction]
    return {"text": f"{arrow} {abs(change):.2f}{suffix}", "tone": tone}


def styled(table: reports.Table) -> reports.Table:
    """A ranking whose rows know their measures in column order ("cells", as shown) and the
    Bootstrap colour of their traffic light."""
    registry = {**metrics.AREA_MEASURES, **metrics.DEPARTMENT_MEASURES}
    measured = [key for key, _label in table.columns if key in registry]
    for row in table.rows:
        row["cells"] = [shown(row[key], registry[key].unit) for key in measured]
        row["style"] = GRADE_STYLES.get(row["grade"], "secondary")
    return table


def ungraded(table: reports.Table, count_key: str) -> reports.Table:
    """The rows of a ranking with too few cases to grade (cases/periods.py, marked by
    cases/reports.py) keep their figures but show no traffic light, only the note how few
    cases they had."""
    for row in table.rows:
        if row["too_few"]:
            row["style"] = "secondary"
            row["cases"] = row[count_key] or 0
    table.meta["too_few"] = any(row["too_few"] for row in table.rows)  # a footnote says why
    return table


def unit_grade(summary: reports.Table) -> dict:
    """The unit's own light on a page: its Bootstrap colour, or, with too few cases received
    in the period to grade (cases/periods.py), grey and how few (`too_few`)."""
    received = next(row["value"] for row in summary.rows if row["key"] == "received")
    graded = periods.gradeable(received)
    return {
        "graded": graded,
        "too_few": None if graded else received or 0,
        "grade_style": GRADE_STYLES.get(summary.meta["grade"], "secondary")
        if graded
        else "secondary",
    }


def shown_row(row: dict, keys) -> dict:
    """A table row with the measures `keys` as shown ("cells", in order)."""
    registry = metrics.AREA_MEASURES
    return {**row, "cells": [shown(row[key], registry[key].unit) for key in keys]}


def population_table(title, groups: list[str], columns, rows: list[dict], total: dict) -> dict:
    """One table of the population page: its header groups ((label, columns) in order) and its
    rows of counts, one per area, and the total row."""
    shown_columns = [c for group in groups for c in columns if c.group == group]
    keys = [c.key for c in shown_columns]
    return {
        "title": title,
        "groups": [
            (POPULATION_GROUPS[group], [c for c in shown_columns if c.group == group])
            for group in groups
        ],
        "columns": shown_columns,
        "rows": [{"area": row["area"], "cells": [row["counts"][k] for k in keys]} for row in rows],
        "total": [total[k] for k in keys],
    }


def tile(row: dict) -> dict:
    return {
        **row,
        "shown": shown(row["value"], row["unit"]),
        "mom_shown": shown_change(row["mom"], row["unit"], row["better"]),
        "yoy_shown": shown_change(row["yoy"], row["unit"], row["better"]),
        "previous_shown": shown(row["previous"], row["unit"]),
        "last_year_shown": shown(row["last_year"], row["unit"]),
    }


class DashboardFilter(forms.Form):
    """The period and category a dashboard shows (the unit is `?unit=`, checked apart).

    `period` is a preset of cases/periods.py (the last 30 days when none is given) or
    `custom`: then `start` (required) and `end` (today when left out) give the days. Dates
    given without a period mean custom, as the links of earlier pages say."""

    period = forms.ChoiceField(
        choices=periods.PRESETS, required=False, label=_("Period"), widget=forms.HiddenInput
    )
    start = forms.DateField(
        required=False,
        label=_("From"),
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
    )
    end = forms.DateField(
        required=False,
        label=_("To"),
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True),
        required=False,
        label=_("Category"),
        empty_label=_("All categories"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def clean(self):
        data = super().clean()
        today = periods.today_in_shanghai(timezone.now())
        name = data.get("period") or (
            periods.CUSTOM if data.get("start") or data.get("end") else periods.DEFAULT
        )
        if self.errors:
            return data
        if name != periods.CUSTOM:
            data["period"] = periods.preset(name, today)
            data["preset"] = name  # quarter and year are the same days in March: say which
            return data
        start, end = data.get("start"), data.get("end")
        if start is None:
            self.add_error("start", _("Give the first day of the period."))
            return data
        end = end or max(start, today)
        if end < start:
            self.add_error("end", _("The end must not be before the start."))
        elif (end - start).days >= MAX_PERIOD_DAYS:
            self.add_error(
                "start",
                _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS},
            )
        data["period"] = Period(start, end)
        return data

    def choices(self) -> tuple[Period, Category | None]:
        """The period and category asked for; the defaults (the last 30 days, all) when the
        form is unbound or wrong (its errors show beside the fields)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["period"], self.cleaned_data.get("category")
        today = periods.today_in_shanghai(timezone.now())
        return periods.preset(periods.DEFAULT, today), None


class MonthFilter(forms.Form):
    """The month a monthly report is about (the unit is `?unit=`, checked apart)."""

    month = forms.DateField(
        required=False,
        label=_("Month"),
        input_formats=["%Y-%m"],
        error_messages={"invalid": _("Enter a month as YYYY-MM, e.g. 2026-03.")},
        widget=forms.DateInput(
            format="%Y-%m", attrs={"type": "month", "class": "form-control form-control-sm"}
        ),
    )

    def clean_month(self):
        first = self.cleaned_data.get("month")
        if first is not None and first > timezone.localdate():
            raise forms.ValidationError(_("This month has not begun yet."))
        if first is not None and first < EARLIEST_MONTH:
            raise forms.ValidationError(
                _("Choose a month from %(month)s on.") % {"month": EARLIEST_MONTH.strftime("%Y-%m")}
            )
        return first

    def choice(self) -> reports.Month:
        """The month asked for; the last complete month when none is asked for or the form is
        wrong (its errors show beside the field)."""
        if self.is_bound and self.is_valid() and self.cleaned_data["month"]:
            return reports.month(self.cleaned_data["month"])
        return reports.last_complete_month()


class _Areas:
    def get_queryset(self):
        return Area.objects.all()


class AreaPage(LoginRequiredMixin, JurisdictionScopedMixin, _Areas, TemplateView):
    """A page about one area of the user's jurisdiction: `?unit=`, by default the widest."""

    jurisdiction_path = "path"

    def unit(self) -> Area | None:
        areas = self.get_queryset()
        raw = self.request.GET.get("unit")
        if not raw:
            return areas.order_by("level", "code").first()
        area = areas.filter(pk=int(raw)).first() if raw.isascii() and raw.isdecimal() else None
        if area is None:
            raise Http404(_("No such area in your jurisdiction."))
        return area

    def departments(self):
        return restrict(
            Department.objects.all(),
            self.request.user,
            path_field="area__path",
            department_field="pk",
        )

    def unit_context(self, unit: Area) -> dict:
        """The breadcrumb (the unit's ancestors in the jurisdiction) and the units to choose
        from: districts, streets and communities; grids are reached by drilling down, which
        keeps the list short at city scale."""
        areas = self.get_queryset()
        ancestor_ids = [int(pk) for pk in unit.path.strip("/").split("/")[:-1]]
        return {
            "ancestors": list(areas.filter(pk__in=ancestor_ids).order_by("level")),
            "unit_choices": [
                (a.pk, "\u3000" * (a.level - 1) + a.name)
                for a in areas.filter(level__lt=Area.Level.GRID).order_by("path")
            ],
        }


class DashboardView(AreaPage):
    """The supervisor dashboard: KPI tiles with 环比/同比, trend, category mix, the map and the
    ranking of the units one level down (click to drill down), overdue cases, departments."""

    template_name = "cases/dashboard/supervisor.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        # Wrong dates or an unknown preset: the page with the defaults and the errors beside
        # their fields, answered 400 as every bad input is.
        status = 400 if context["form"].errors else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = DashboardFilter(self.request.GET or None)
        period, category = form.choices()
        today = periods.today_in_shanghai(timezone.now())
        asked = form.cleaned_data.get("preset") if form.is_bound and not form.errors else None
        if not form.is_bound or not form.errors:
            form = DashboardFilter(
                initial={"start": period.start, "end": period.end, "category": category}
            )
        unit = self.unit()
        query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if category is not None:
            query["category"] = category.pk
        context.update(
            form=form,
            unit=unit,
            period=period,
            category=category,
            query=urlencode(query),
            **self._presets(unit, category, asked or periods.preset_of(period, today)),
            min_cases_to_grade=periods.MIN_CASES_TO_GRADE,
        )
        if unit is not None:
            context.update(self._area_context(unit, period, category))
        departments = self.departments()
        if departments.exists():
            ranking = styled(reports.department_ranking(departments, period, category=category))
            # The page lists the departments that had work in the period; the download and the
            # API list them all.
            ranking.rows = [row for row in ranking.rows if row["dispatched"]]
            ungraded(ranking, "dispatched")
            context["department_ranking"] = ranking
        return context

    @staticmethod
    def _presets(unit, category, current: str) -> dict:
        """The preset links (本周 … 近30天), each keeping the unit and category."""
        links = []
        for name, label in periods.PRESETS:
            if name == periods.CUSTOM:
                continue
            query = {"period": name}
            if unit is not None:
                query["unit"] = unit.pk
            if category is not None:
                query["category"] = category.pk
            links.append({"name": name, "label": label, "query": urlencode(query)})
        return {
            "presets": links,
            "preset": current,
            "custom_label": dict(periods.PRESETS)[periods.CUSTOM],
        }

    def _area_context(self, unit: Area, period: Period, category) -> dict:
        summary = reports.summary(unit, period, category=category)
        tiles = {row["key"]: row for row in summary.rows}
        child_level = min(unit.level + 1, Area.Level.GRID)
        below = self.get_queryset().filter(path__startswith=unit.path)
        ranking = styled(reports.area_ranking(below, child_level, period, category=category))
        ungraded(ranking, "received")
        return {
            **self.unit_context(unit),
            "summary": summary,
            "tiles": [tile(tiles[key]) for key in TILES],
            **unit_grade(summary),
            "ranking": ranking,
            "child_level": child_level,
            "trend": reports.trend(unit, period, category=category),
            "categories": reports.categories(unit, period),
            "live": reports.live(unit, below.filter(level=child_level)),
            "labels": {k: str(m.label) for k, m in metrics.AREA_MEASURES.items()},
            # Other apps' figures of the unit (party building, …), by grid/extensions.py.
            "panels": extensions.panels(extensions.DASHBOARD, self.request, unit, period=period),
        }


class WallScreenView(AreaPage):
    """The command centre's wall screen: dark, full screen, refreshing itself from the metrics
    API — live open and overdue cases by level, the grid map, today's figures, the trend of
    the last 30 days, the category mix, the ranking and the overdue list."""

    template_name = "cases/dashboard/wall.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit = self.unit()
        if unit is None:
            raise Http404(_("No area in your jurisdiction."))
        ranking_level = {
            Area.Level.DISTRICT: "street",
            Area.Level.STREET: "community",
        }.get(unit.level, "grid")
        context.update(
            unit=unit,
            labels={k: str(m.label) for k, m in metrics.AREA_MEASURES.items()},
            today_tiles=WALL_TILES,
            wall={
                "unit": unit.pk,
                "tiles": WALL_TILES,
                "refresh_seconds": WALL_REFRESH_SECONDS,
                "slow_refresh_seconds": WALL_SLOW_REFRESH_SECONDS,
                "ranking_level": ranking_level,
                "urls": {
                    "live": reverse("metrics-live"),
                    "summary": reverse("metrics-summary"),
                    "trend": reverse("metrics-trend"),
                    "categories": reverse("metrics-categories"),
                    "ranking": reverse("metrics-ranking"),
                    "geojson": reverse("area-geojson")
                    + f"?within={unit.pk}&level={Area.Level.GRID}",
                },
                "texts": {
                    "updated": str(_("Updated %(time)s")),
                    "offline": str(_("No connection; showing the last figures. Retrying…")),
                    "no_overdue": str(_("No case is overdue.")),
                    # A ranked unit with too few cases to grade (reports' `too_few`).
                    "too_few": str(_("too few")),
                    "too_few_note": str(_("Too few cases in this period (%(n)s) to grade")),
                },
            },
        )
        return context


class MonthlyReportView(AreaPage):
    """The monthly report of a unit (月度报告), to print: every measure of the month beside the
    month before (环比) and the same month a year earlier (同比), overdue and urged cases, the
    ranking of the units one level down, the category mix and the unit's departments."""

    template_name = "cases/dashboard/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit = self.unit()
        if unit is None:
            raise Http404(_("No area in your jurisdiction."))
        form = MonthFilter(self.request.GET or None)
        month = form.choice()
        if not form.is_bound or form.is_valid():
            form = MonthFilter(initial={"month": month.start})
        summary = reports.summary(unit, month)
        rows = {row["key"]: tile(row) for row in summary.rows}
        child_level = unit.level + 1
        ranking = None
        if child_level <= Area.Level.GRID:
            below = self.get_queryset().filter(path__startswith=unit.path)
            ranking = ungraded(styled(reports.area_ranking(below, child_level, month)), "received")
        categories = reports.categories(unit, month)
        categories.rows = [shown_row(row, reports.CATEGORY_COLUMNS) for row in categories.rows]
        # The departments serving the unit itself (a street's offices, a district's bureaus):
        # a bureau's figures cover its whole district, not one street of it.
        departments = self.departments().filter(area__path__startswith=unit.path)
        department_ranking = None
        if departments.exists():
            department_ranking = styled(reports.department_ranking(departments, month))
            department_ranking.rows = [r for r in department_ranking.rows if r["dispatched"]]
            ungraded(department_ranking, "dispatched")
        context.update(
            **self.unit_context(unit),
            form=form,
            unit=unit,
            month=month,
            summary=summary,
            # A unit (or a row of a ranking) with too few cases is not graded, as on the
            # dashboard.
            **unit_grade(summary),
            min_cases_to_grade=periods.MIN_CASES_TO_GRADE,
            measures=list(rows.values()),
            headlines=[rows[key] for key in REPORT_HEADLINES],
            supervision=[rows[key] for key in REPORT_SUPERVISION],
            query=urlencode({"month": month.start.strftime("%Y-%m")}),
            ranking=ranking,
            child_level_label=Area.Level(child_level).label if ranking else "",
            categories=categories,
            department_ranking=department_ranking,
            generated_at=timezone.localtime(),
            panels=extensions.panels(extensions.MONTHLY_REPORT, self.request, unit, month=month),
        )
        return context


class PopulationView(AreaPage):
    """Registry statistics of a unit (人口统计): living persons by population type, sex, age
    band and care tag, for the unit and each unit one level down, as tables and charts. Counts
    only — nothing personal — so, as for the statistics export, anyone who sees the unit may
    see and download them."""

    template_name = "cases/dashboard/population.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit = self.unit()
        if unit is None:
            raise Http404(_("No area in your jurisdiction."))
        today = timezone.localdate()
        counted = exports.population_statistics(unit, today=today)
        children = list(self.get_queryset().filter(parent=unit).order_by("code"))
        rows = [{"area": child, "counts": counted.of(child)} for child in children]
        total = counted.of(unit)
        context.update(
            **self.unit_context(unit),
            unit=unit,
            today=today,
            child_level_label=Area.Level(unit.level + 1).label if children else "",
            tiles=[
                (column, total[column.key], metrics.percent(total[column.key], total["total"]))
                for column in counted.columns
                if column.group in ("total", "population")
            ],
            tables=[
                population_table(title, groups, counted.columns, rows, total)
                for title, groups in POPULATION_TABLES
            ],
            total=total,
            rows=rows,
            chart={
                "columns": [
                    {"key": c.key, "label": c.label, "group": c.group} for c in counted.columns
                ],
                "total": total,
                "children": [
                    {"id": row["area"].pk, "name": row["area"].name, "counts": row["counts"]}
                    for row in rows
                ],
            },
        )
        return context
