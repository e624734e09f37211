"""The metrics API (绩效考评, 决策信息库): KPI tiles with their comparisons, rankings, trends,
the category mix, grid workers' figures, the command centre's live counts, and the score
weights. Every table is also a download: `?export=csv` (UTF-8 with BOM) or `?export=xlsx`.

Scoped like everything else: a unit (`unit`, an area id) outside the user's jurisdiction is a
404, and so is a department (`department`) that is neither in the user's areas nor their own.
The figures come from cases/reports.py, which reads the rollups; definitions in
docs/metrics.md.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from cases import metrics, reports
from cases.metrics import Period
from cases.models import Category, ScoreWeight
from grid.exports import to_csv, to_xlsx
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import Area, Department

MAX_PERIOD_DAYS = 5 * 366
LEVELS = {
    "district": Area.Level.DISTRICT,
    "street": Area.Level.STREET,
    "community": Area.Level.COMMUNITY,
    "grid": Area.Level.GRID,
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MetricsQuery(serializers.Serializer):
    """What every metrics endpoint may be asked: a unit, a period, a category, a download."""

    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="Area id; the user's widest area if left out."
    )
    start = serializers.DateField(required=False, help_text="First day; the 1st of this month.")
    end = serializers.DateField(required=False, help_text="Last day, included; today.")
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        required=False,
        help_text="A main class (all its subclasses) or one subclass.",
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
    department = serializers.IntegerField(
        required=False, min_value=1, help_text="A department id instead of an area."
    )


class RankingQuery(MetricsQuery):
    level = serializers.ChoiceField(choices=[*LEVELS, "department"], default="grid")


class TrendQuery(MetricsQuery):
    interval = serializers.ChoiceField(choices=["day", "month"], required=False)


class CategoriesQuery(MetricsQuery):
    by = serializers.ChoiceField(choices=["main", "sub"], default="main")


class LiveQuery(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1)
    map_level = serializers.ChoiceField(choices=list(LEVELS), default="grid")


class WeightsInput(serializers.Serializer):
    unit_kind = serializers.ChoiceField(choices=ScoreWeight.UnitKind.choices)
    weights = serializers.DictField(child=serializers.CharField(), allow_empty=False)


TABLE = inline_serializer(
    "MetricsTable",
    {
        "columns": serializers.ListField(child=serializers.DictField()),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)


class MetricsViewSet(JurisdictionScopedMixin, viewsets.GenericViewSet):
    """Performance figures of the areas in the user's jurisdiction and of their departments."""

    jurisdiction_path = "path"
    queryset = Area.objects.all()
    pagination_class = None
    filter_backends = []

    def _query(self, serializer_class) -> dict:
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _area(self, pk: int | None) -> Area:
        """The area asked for, or the widest one the user has; 404 outside the jurisdiction."""
        areas = self.get_queryset()
        area = areas.filter(pk=pk).first() if pk else areas.order_by("level", "code").first()
        if area is None:
            raise NotFound(_("No such area in your jurisdiction."))
        return area

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

    @extend_schema(parameters=[SummaryQuery], responses=TABLE)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """KPI tiles: every measure of the unit (an area, or `department`) for the period,
        with the previous period (环比), the same period last year (同比), the composite score
        and its traffic light."""
        query = self._query(SummaryQuery)
        if query.get("department"):
            unit = self._departments().filter(pk=query["department"]).first()
            if unit is None:
                raise NotFound(_("No such department in your jurisdiction."))
        else:
            unit = self._area(query.get("unit"))
        table = reports.summary(unit, query["period"], category=query.get("category"))
        return self._answer(table, query, "summary")

    @extend_schema(parameters=[RankingQuery], responses=TABLE)
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

    @extend_schema(parameters=[TrendQuery], responses=TABLE)
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

    @extend_schema(parameters=[CategoriesQuery], responses=TABLE)
    @action(detail=False, methods=["get"])
    def categories(self, request):
        """The category mix of the unit's cases, by main class (or subclass: `by=sub`)."""
        query = self._query(CategoriesQuery)
        table = reports.categories(
            self._area(query.get("unit")), query["period"], main_classes=query["by"] == "main"
        )
        return self._answer(table, query, "categories")

    @extend_schema(parameters=[MetricsQuery], responses=TABLE)
    @action(detail=False, methods=["get"])
    def workers(self, request):
        """Each person's field work in the unit's grids: reports, valid-report rate (有效上报率),
        on-the-spot resolutions and on-site verifications."""
        query = self._query(MetricsQuery)
        table = reports.workers(self._area(query.get("unit")), query["period"])
        return self._answer(table, query, "workers")

    @extend_schema(parameters=[LiveQuery], responses={200: dict})
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

    @extend_schema(request=WeightsInput, responses={200: dict})
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
