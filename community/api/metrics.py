"""Community services' figures for an area of the user's jurisdiction and a period: requests
received, done, on time, average days, satisfaction, overdue; visits done against due; one row
per area one level down and a total. `?export=csv` or `?export=xlsx` downloads the table."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.metrics import TABLE, XLSX, MetricsQuery, area_of
from community import reports
from grid.exports import to_csv, to_xlsx
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area


class CommunityMetricsQuery(MetricsQuery):
    """A unit, a period and a download; the category of the cases' figures does not apply."""

    category = None


class CommunityMetricsViewSet(JurisdictionScopedMixin, viewsets.GenericViewSet):
    jurisdiction_path = "path"
    queryset = Area.objects.all()
    pagination_class = None
    filter_backends = []

    @extend_schema(parameters=[CommunityMetricsQuery], responses=TABLE)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """The community-services table of the unit (default: the user's widest area)."""
        query = CommunityMetricsQuery(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        unit = area_of(self.get_queryset(), data.get("unit"))
        period = data["period"]
        table, total = reports.community_table(unit, period.start, period.end)
        kind = data.get("export")
        if not kind:
            body = table.as_dict()
            body["top_services"] = reports.services_table(total).rows
            return Response(body)
        stem = f"community-{unit.code}-{period.start}-{period.end}"
        if kind == "csv":
            response = HttpResponse(to_csv(table.sheet()), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(to_xlsx(table.sheet()), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
        return response
