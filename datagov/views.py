"""The catalogue pages (for staff: every dataset, its fields, classes and their history; admins
change classes) and the open statistics (数据开放: public, no login, rate-limited per address).

Views are thin: StatisticsQuery parses the query, openstats builds (or the cache holds) the
tables, catalogue.change_class changes a class with its history.
"""

import csv
import io
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from rest_framework.throttling import SimpleRateThrottle

from datagov import catalogue, openstats
from datagov.forms import EARLIEST_YEAR, ClassChangeForm, StatisticsQuery
from datagov.models import ClassChange, Dataset, DatasetField


class CatalogueView(LoginRequiredMixin, View):
    """数据资源目录: every dataset with its class, owner, frequency and record count."""

    jurisdiction_exempt = "the catalogue describes datasets, it holds none of their rows"

    def get(self, request):
        datasets = Dataset.objects.select_related("owner_area", "owner_department")
        return render(
            request,
            "datagov/catalogue.html",
            {"datasets": datasets},
        )


class DatasetView(LoginRequiredMixin, View):
    """One dataset: its fields with their meaning, code table and class; the history of its
    classes; for administrators, the form that changes one."""

    jurisdiction_exempt = "the catalogue describes datasets, it holds none of their rows"

    def dataset(self, key):
        return get_object_or_404(
            Dataset.objects.select_related("owner_area", "owner_department").prefetch_related(
                Prefetch("fields", DatasetField.objects.order_by("position", "name"))
            ),
            key=key,
        )

    def page(self, request, dataset, form, status=200):
        history = ClassChange.objects.filter(dataset=dataset).select_related("field", "actor")
        return render(
            request,
            "datagov/dataset.html",
            {
                "dataset": dataset,
                "history": history[:50],
                "form": form,
                "may_change": catalogue.can_change_classes(request.user),
            },
            status=status,
        )

    def get(self, request, key):
        dataset = self.dataset(key)
        return self.page(request, dataset, ClassChangeForm(dataset=dataset))

    def post(self, request, key):
        dataset = self.dataset(key)
        if not catalogue.can_change_classes(request.user):
            raise PermissionDenied(_("Only administrators may change sharing classes."))
        form = ClassChangeForm(request.POST, dataset=dataset)
        if not form.is_valid():
            return self.page(request, dataset, form, status=400)
        name = form.cleaned_data["field"]
        field = next((f for f in dataset.fields.all() if f.name == name), None) if name else None
        try:
            change = catalogue.change_class(
                dataset,
                field=field,
                to_class=form.cleaned_data["sharing_class"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            for key_, problems in error.message_dict.items():
                form.add_error(key_ if key_ in form.fields else None, problems)
            return self.page(request, dataset, form, status=400)
        if change is None:
            messages.info(request, _("The class was already so; nothing changed."))
        else:
            messages.success(request, _("Sharing class changed; the change is in the history."))
        return redirect("datagov-dataset", key=dataset.key)


# Open statistics


class OpenDataThrottle(SimpleRateThrottle):
    """Requests to the open statistics per client address (SANHUA_OPEN_DATA_RATE)."""

    scope = "open_data"

    def get_rate(self):
        return getattr(settings, "SANHUA_OPEN_DATA_RATE", "120/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _throttled(request) -> HttpResponse | None:
    throttle = OpenDataThrottle()
    try:
        allowed = throttle.allow_request(request, None)
    except Exception:  # the shared cache is down: serve rather than refuse everyone
        return None
    if allowed:
        return None
    wait = math.ceil(throttle.wait() or 60)
    response = JsonResponse(
        {"detail": _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait}},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _bad_query(query: StatisticsQuery) -> JsonResponse:
    return JsonResponse(
        {"detail": _("The query has errors; see each parameter."), "errors": query.errors},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


class OpenStatisticsView(View):
    """GET /open-data/statistics.<json|csv>?table=…&year=…: one table."""

    jurisdiction_exempt = "open statistics: aggregates of 普遍共享 data, suppressed"

    def get(self, request, fmt):
        refused = _throttled(request)
        if refused:
            return refused
        query = StatisticsQuery(request.GET)
        if not query.is_valid:
            return _bad_query(query)
        body = openstats.statistics(query.table, query.area, query.months)
        if body is None:
            return JsonResponse(
                {"detail": _("This table is not published: its data are not classed 普遍共享.")},
                status=404,
                json_dumps_params={"ensure_ascii": False},
            )
        if fmt == "csv":
            response = HttpResponse(as_csv(body), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="{query.table}-{query.months.start.year}.csv"'
            )
        else:
            response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
        # Not kept by browsers or proxies: a table closed by a class change must vanish at once,
        # and our own cache makes the next request cheap anyway.
        response["Cache-Control"] = "no-cache"
        return response


def as_csv(body: dict) -> str:
    """A table as CSV: the licence line first (a comment, "#"), then the header, the rows and
    the total row. UTF-8 with a byte-order mark, for Excel."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([f"# {body['licence']}"])
    writer.writerow([_("Code"), _("Area"), *(c["label"] for c in body["columns"])])
    for row in body["rows"]:
        cells = ["" if cell is None else cell for cell in row["cells"]]
        writer.writerow(["" if row["key"] == "total" else row["key"], row["label"], *cells])
    return out.getvalue()


class OpenDataPageView(View):
    """/open-data/: every published table of an area, for residents (phone-friendly)."""

    jurisdiction_exempt = "open statistics: aggregates of 普遍共享 data, suppressed"

    def get(self, request):
        refused = _throttled(request)
        if refused:
            return refused
        query = StatisticsQuery(request.GET, table_required=False)
        tables, closed = [], []
        if query.is_valid:
            for key, table in openstats.TABLES.items():
                body = openstats.statistics(key, query.area, query.months)
                (tables if body else closed).append(body or {"table": key, "title": table.title})
        this_year = timezone.localdate().year
        return render(
            request,
            "datagov/open_data.html",
            {
                "query": query,
                "tables": tables,
                "closed": closed,
                "years": range(this_year, EARLIEST_YEAR - 1, -1),
                "year": query.months.start.year if query.months else this_year,
                "threshold": openstats.threshold(),
                "licence": openstats.licence(),
            },
            status=200 if query.is_valid else 400,
        )
