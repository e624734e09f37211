"""The metrics API (绩效考评, 决策信息库): KPI tiles with their comparisons, rankings, trends,
the category mix, grid workers' figures, the command centre's live counts, and the score
weights. Every table is also a download: `?export=csv` (UTF-8 with BOM) or `?export=xlsx`.

Scoped like everything else: a unit (`unit`, an area's id or code) outside the user's
jurisdiction is a 404, and so is a department (`department`, its id or code) that is neither in
the user's areas nor their own. `category` is a category's code or id.
The figures come from cases/reports.py, which reads the rollups; definitions in
docs/metrics.md.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from cases import metrics, reports
from cases.api.serializers import category_field
from cases.metrics import Period
from cases.models import ScoreWeight
from grid.exports import to_csv, to_xlsx
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.lookups import MAX_CODE_LENGTH, by_id_or_code
from grid.models import Area, Department

MAX_PERIOD_DAYS = 5 * 366
LEVELS = {
    "district": Area.Level.DISTRICT,
    "street": Area.Level.STREET,
    "community": Area.Level.COMMUNITY,
    "grid": Area.Level.GRID,
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _id_or_code(help_text: str):
    # Looked up in the view, in the user's jurisdiction: one outside it is a 404, as a row is.
    return serializers.CharField(required=False, max_length=MAX_CODE_LENGTH, help_text=help_text)


class MetricsQuery(serializers.Serializer):
    """What every metrics endpoint may be asked: a unit, a period, a category, a download."""

    unit = _id_or_code("An area's id or code; the user's widest area if left out.")
    start = serializers.DateField(required=False, help_text="First day; the 1st of this month.")
    end = serializers.DateField(required=False, help_text="Last day, included; today.")
    category = category_field(
        required=False,
        help_text="A main class (all its subclasses) or one subclass, by code or id.",
    )
    export = serializers.ChoiceField(choices=["csv", "xlsx"], required=False)

    def validate(self, data):
        default = reports.this_month()
        start = data.get("start", default.start)
        end = data.get("end", max(start, default.end) if "start" in data else default.end)
        if end < start:
            raise ValidationError({"end": [_("The end must not be before the start.")]})
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise ValidationError(
                {
                    "start": [
                        _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}
                    ]
                }
            )
        data["period"] = Period(start, end)
        return data


class SummaryQuery(MetricsQuery):
    department = _id_or_code("A department's id or code, instead of an area.")


class RankingQuery(MetricsQuery):
    level = serializers.ChoiceField(choices=[*LEVELS, "department"], default="grid")


class TrendQuery(MetricsQuery):
    interval = serializers.ChoiceField(choices=["day", "month"], required=False)


class CategoriesQuery(MetricsQuery):
    by = serializers.ChoiceField(choices=["main", "sub"], default="main")


class LiveQuery(serializers.Serializer):
    unit = _id_or_code("An area's id or code; the user's widest area if left out.")
    map_level = serializers.ChoiceField(choices=list(LEVELS), default="grid")


class WeightsInput(serializers.Serializer):
    unit_kind = serializers.ChoiceField(choices=ScoreWeight.UnitKind.choices)
    weights = serializers.DictField(child=serializers.CharField(), allow_empty=False)


def area_of(areas, value) -> Area:
    """The area of `areas` (the user's jurisdiction) that `value` names by id or code, or the
    widest of them when it names none; 404 when there is no such area."""
    area = by_id_or_code(areas, value) if value else areas.order_by("level", "code").first()
    if area is None:
        raise NotFound(_("No such area in your jurisdiction."))
    return area


# The answers' shapes. Rows carry the fixed keys below and one key per measure, as `columns`
# lists them (docs/metrics.md defines each measure): a number, or null when it has no value.


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Included")


class MetricsUnitSerializer(serializers.Serializer):
    """The unit the figures are of: an area, or a department."""

    kind = serializers.ChoiceField(["area", "department"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(required=False)
    level = serializers.IntegerField(required=False, help_text="An area's level")
    level_label = serializers.CharField(required=False)


class MetricsColumnSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The key of the rows' value")
    label = serializers.CharField(help_text="Its heading, in the request's language")


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["department"]}],
        "description": "The level ranked (1 district … 4 grid), or departments",
    }
)
class RankedLevelField(serializers.Field):
    pass


GRADE = serializers.ChoiceField(
    ["green", "yellow", "red", ""], help_text="The score's traffic light; empty when no score"
)
SCORE = serializers.FloatField(allow_null=True, help_text="The composite score, 0–100")
MEASURE = serializers.FloatField(allow_null=True)


def _table(name: str, row_fields: dict, meta: dict):
    return inline_serializer(
        name,
        {
            **meta,
            "columns": MetricsColumnSerializer(many=True),
            "rows": inline_serializer(f"{name}Row", row_fields, many=True),
        },
    )


# Any table (the community's figures use it too).
TABLE = _table("MetricsTable", {}, {})
SUMMARY = _table(
    "MetricsSummary",
    {
        "key": serializers.CharField(help_text="The measure"),
        "label": serializers.CharField(),
        "unit": serializers.ChoiceField([metrics.COUNT, metrics.PERCENT, metrics.HOURS]),
        "better": serializers.ChoiceField(
            [metrics.HIGHER, metrics.LOWER, 0], help_text="1 higher is better, -1 lower, 0 neither"
        ),
        "value": MEASURE,
        "previous": MEASURE,
        "last_year": MEASURE,
        "mom": serializers.FloatField(allow_null=True, help_text="Change on the previous period"),
        "yoy": serializers.FloatField(allow_null=True, help_text="Change on last year"),
    },
    {
        "unit": MetricsUnitSerializer(),
        "period": PeriodSerializer(),
        "previous_period": PeriodSerializer(),
        "last_year_period": PeriodSerializer(),
        "category": serializers.IntegerField(allow_null=True),
        "score": SCORE,
        "grade": GRADE,
    },
)
RANKING = _table(
    "MetricsRanking",
    {
        "rank": serializers.IntegerField(allow_null=True, help_text="null: no score"),
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "code": serializers.CharField(),
        "score": SCORE,
        "grade": GRADE,
        "too_few": serializers.BooleanField(
            help_text="Too few cases (or dispatches) in the period to grade: show no light"
        ),
    },
    {
        "level": RankedLevelField(),
        "period": PeriodSerializer(),
        "weights": serializers.DictField(child=serializers.FloatField()),
        "unit": MetricsUnitSerializer(required=False, help_text="Areas: the unit above them"),
    },
)
TREND = _table(
    "MetricsTrend",
    {"period": serializers.CharField(help_text="The day (or the month's first day)")},
    {
        "unit": MetricsUnitSerializer(),
        "period": PeriodSerializer(),
        "interval": serializers.ChoiceField(["day", "month"]),
    },
)
PLACE = {"unit": MetricsUnitSerializer(), "period": PeriodSerializer()}
CATEGORIES = _table(
    "MetricsCategories",
    {
        "id": serializers.IntegerField(),
        "code": serializers.CharField(),
        "name": serializers.CharField(),
    },
    PLACE,
)
WORKERS = _table(
    "MetricsWorkers",
    {
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "name": serializers.CharField(),
    },
    PLACE,
)
COUNTS = {"open": serializers.IntegerField(), "overdue": serializers.IntegerField()}
LIVE = inline_serializer(
    "MetricsLive",
    {
        "unit": MetricsUnitSerializer(),
        "at": serializers.DateTimeField(),
        "points": serializers.ListField(
            child=serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3),
            help_text="[lng, lat, 1 if overdue else 0] of recent open cases",
        ),
        "levels": inline_serializer(
            "MetricsLiveLevel",
            {"level": serializers.IntegerField(), "label": serializers.CharField(), **COUNTS},
            many=True,
        ),
        "areas": inline_serializer(
            "MetricsLiveArea",
            {
                "id": serializers.IntegerField(),
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                **COUNTS,
            },
            many=True,
        ),
        "overdue_cases": inline_serializer(
            "MetricsLiveCase",
            {
                "id": serializers.IntegerField(),
                "number": serializers.CharField(),
                "title": serializers.CharField(),
                "category": serializers.CharField(),
                "level": serializers.IntegerField(),
                "holder": serializers.CharField(),
                "reported_at": serializers.DateTimeField(),
            },
            many=True,
        ),
    },
)
WEIGHTS = inline_serializer(
    "MetricsWeights",
    {
        "weights": serializers.DictField(
            child=serializers.DictField(child=serializers.FloatField()),
            help_text="Per kind of unit (area, department): each measure's weight",
        ),
        "measures": serializers.DictField(
            child=inline_serializer(
                "MetricsWeightedMeasure",
                {
                    "key": serializers.CharField(),
                    "label": serializers.CharField(),
                    "better": serializers.IntegerField(),
                },
                many=True,
            )
        ),
        "editable": serializers.BooleanField(),
    },
)


class MetricsViewSet(JurisdictionScopedMixin, viewsets.GenericViewSet):
    """Performance figures of the areas in the user's jurisdiction and of their departments."""

    jurisdiction_path = "path"
    queryset = Area.objects.all()
    pagination_class = None
    filter_backends = []

    def _query(self, serializer_class) -> dict:
        query = serializer_class(data=self.request.query_params, context={"request": self.request})
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _area(self, value: str | None) -> Area:
        """The area asked for, or the widest one the user has; 404 outside the jurisdiction."""
        return area_of(self.get_queryset(), value)

    def _departments(self):
        return restrict(
            Department.objects.all(),
            self.request.user,
            path_field="area__path",
            department_field="pk",
        )

    def _answer(self, table: reports.Table, query: dict, name: str):
        """The table as JSON, or as the download `export` asks for."""
        kind = query.get("export")
        if not kind:
            return Response(table.as_dict())
        period = query.get("period")
        stem = f"metrics-{name}" + (f"-{period.start}-{period.end}" if period else "")
        if kind == "csv":
            response = HttpResponse(to_csv(table.sheet()), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(to_xlsx(table.sheet()), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
        return response

    @extend_schema(parameters=[SummaryQuery], responses=SUMMARY)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """KPI tiles: every measure of the unit (an area, or `department`) for the period,
        with the previous period (环比), the same period last year (同比), the composite score
        and its traffic light."""
        query = self._query(SummaryQuery)
        if query.get("department"):
            unit = by_id_or_code(self._departments(), query["department"])
            if unit is None:
                raise NotFound(_("No such department in your jurisdiction."))
        else:
            unit = self._area(query.get("unit"))
        table = reports.summary(unit, query["period"], category=query.get("category"))
        return self._answer(table, query, "summary")

    @extend_schema(parameters=[RankingQuery], responses=RANKING)
    @action(detail=False, methods=["get"])
    def ranking(self, request):
        """The units of one `level` under `unit` (or the departments in the jurisdiction)
        ranked by composite score, with their measures and traffic lights."""
        query = self._query(RankingQuery)
        period, category = query["period"], query.get("category")
        if query["level"] == "department":
            table = reports.department_ranking(self._departments(), period, category=category)
            return self._answer(table, query, "ranking")
        parent, level = self._area(query.get("unit")), LEVELS[query["level"]]
        if level < parent.level:
            raise ValidationError({"level": [_("Choose a level at or below the unit's.")]})
        areas = self.get_queryset().filter(path__startswith=parent.path)
        table = reports.area_ranking(areas, level, period, category=category)
        table.meta["unit"] = reports.describe_area(parent)
        return self._answer(table, query, "ranking")

    @extend_schema(parameters=[TrendQuery], responses=TREND)
    @action(detail=False, methods=["get"])
    def trend(self, request):
        """Key measures of the unit per day (per month over three months, or as `interval`
        says), every day of the period present."""
        query = self._query(TrendQuery)
        interval = query.get("interval")
        table = reports.trend(
            self._area(query.get("unit")),
            query["period"],
            category=query.get("category"),
            monthly=None if interval is None else interval == "month",
        )
        return self._answer(table, query, "trend")

    @extend_schema(parameters=[CategoriesQuery], responses=CATEGORIES)
    @action(detail=False, methods=["get"])
    def categories(self, request):
        """The category mix of the unit's cases, by main class (or subclass: `by=sub`)."""
        query = self._query(CategoriesQuery)
        table = reports.categories(
            self._area(query.get("unit")), query["period"], main_classes=query["by"] == "main"
        )
        return self._answer(table, query, "categories")

    @extend_schema(parameters=[MetricsQuery], responses=WORKERS)
    @action(detail=False, methods=["get"])
    def workers(self, request):
        """Each person's field work in the unit's grids: reports, valid-report rate (有效上报率),
        on-the-spot resolutions and on-site verifications."""
        query = self._query(MetricsQuery)
        table = reports.workers(self._area(query.get("unit")), query["period"])
        return self._answer(table, query, "workers")

    @extend_schema(parameters=[LiveQuery], responses=LIVE)
    @action(detail=False, methods=["get"])
    def live(self, request):
        """The command centre's live figures: open and overdue cases by the level holding
        them, per area of `map_level` under the unit (for the map), and the oldest overdue
        open cases."""
        query = self._query(LiveQuery)
        area = self._area(query.get("unit"))
        map_areas = self.get_queryset().filter(
            path__startswith=area.path, level=max(LEVELS[query["map_level"]], area.level)
        )
        body = reports.live(area, map_areas)
        body["at"] = timezone.localtime().isoformat()
        return Response(body)

    @extend_schema(request=WeightsInput, responses=WEIGHTS)
    @action(detail=False, methods=["get", "put"])
    def weights(self, request):
        """The weights of each measure in the composite scores; administrators replace those
        of one kind of unit with PUT {"unit_kind": "area", "weights": {"closure_rate": 30}}."""
        if request.method == "PUT":
            data = WeightsInput(data=request.data)
            data.is_valid(raise_exception=True)
            metrics.save_weights(
                data.validated_data["unit_kind"], data.validated_data["weights"], actor=request.user
            )
        return Response(
            {
                "weights": {
                    kind: {key: float(w) for key, w in metrics.weights(kind).items()}
                    for kind in ScoreWeight.UnitKind.values
                },
                "measures": {
                    kind: [
                        {"key": m.key, "label": str(m.label), "better": m.better}
                        for m in registry.values()
                        if m.unit == metrics.PERCENT
                    ]
                    for kind, registry in metrics.MEASURES_OF_KIND.items()
                },
                "editable": metrics.can_edit_weights(request.user),
            }
        )
