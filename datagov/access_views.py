"""The access review (访问审查): who revealed, exported or read personal data, under which grant.

/datagov/access/              the audit log's personal-data rows, filtered, newest first
/datagov/access/export.csv    the same rows as CSV (UTF-8 with a byte-order mark)

Who sees what (decided from grid.models.Post, `reviewer_scope`):
- auditors: superusers, and supervisors, administrators and district dispatchers posted at the
  district: every reveal, every personal export and every read under a grant, and the
  personal-data alerts (grid.models.AccessAlert);
- data owners: community and street staff (and supervisors or administrators below the
  district): the reads and downloads under grants of their own areas;
- anyone else: 404, as for anything out of reach.

The audit log holds no area on its rows (only a record type and id), so the owners' view is
drawn through the grants (each read names its grant, "grant #N"), never through a join per row.
"""

import csv
import io
from dataclasses import dataclass
from functools import cache, reduce
from operator import or_

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from datagov.models import Grant
from grid.filtersets import FilterSet
from grid.jurisdiction import restrict
from grid.models import AccessAlert, Area, AuditEntry, Post

# ISO dates, the only value a browser's date input takes.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
PAGE_SIZE = 50
CSV_LIMIT = 100_000
GRANT_READS = "grant #"
AUDITOR_ROLES = (Post.Role.SUPERVISOR, Post.Role.ADMIN, Post.Role.DISTRICT_DISPATCHER)
OWNER_ROLES = (
    Post.Role.COMMUNITY_STAFF,
    Post.Role.STREET_STAFF,
    Post.Role.SUPERVISOR,
    Post.Role.ADMIN,
)


@dataclass(frozen=True)
class ReviewScope:
    everything: bool
    grant_labels: tuple[str, ...] = ()


def reviewer_scope(user) -> ReviewScope | None:
    """What of the audit log `user` reviews; None: nothing (a 404)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ReviewScope(everything=True)
    posts = list(
        Post.objects.filter(user=user, is_active=True, area__isnull=False).values_list(
            "role", "area__level"
        )
    )
    if any(role in AUDITOR_ROLES and level == Area.Level.DISTRICT for role, level in posts):
        return ReviewScope(everything=True)
    if not any(role in OWNER_ROLES for role, _level in posts):
        return None
    grants = restrict(Grant.objects.all(), user, path_field="area__path")
    return ReviewScope(
        everything=False,
        grant_labels=tuple(f"{GRANT_READS}{pk}" for pk in grants.values_list("pk", flat=True)),
    )


def personal_entries(scope: ReviewScope):
    """The audit rows of personal data `scope` reviews: reveals, personal exports and reads
    under grants (a grant's download is an export naming it)."""
    entries = AuditEntry.objects.select_related("actor")
    if scope.everything:
        return entries.filter(
            Q(action__in=[AuditEntry.Action.REVEAL, AuditEntry.Action.EXPORT])
            | Q(action=AuditEntry.Action.VIEW, detail__startswith=GRANT_READS)
        )
    if not scope.grant_labels:
        return entries.none()
    return entries.filter(_naming(scope.grant_labels))


def _naming(labels) -> Q:
    """Rows naming one of these grants: a read ("grant #7") or a download ("grant #7: …")."""
    return Q(detail__in=labels) | reduce(
        or_, (Q(detail__startswith=f"{label}:") for label in labels)
    )


class AccessFilterSet(FilterSet):
    actor = django_filters.CharFilter(
        label=_("User"), field_name="actor__username", lookup_expr="iexact", max_length=150
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"),
        choices=[
            (AuditEntry.Action.REVEAL, _("Revealed")),
            (AuditEntry.Action.EXPORT, _("Exported")),
            (AuditEntry.Action.VIEW, _("Read under a grant")),
        ],
        empty_label=_("All"),
    )
    since = django_filters.DateFilter(
        label=_("From"), field_name="at", lookup_expr="date__gte",
        widget=DATE,
    )  # fmt: skip
    until = django_filters.DateFilter(
        label=_("Until"), field_name="at", lookup_expr="date__lte",
        widget=DATE,
    )  # fmt: skip
    grant = django_filters.NumberFilter(
        label=_("Grant"), method="filter_grant", min_value=1, max_value=2**62
    )
    model = django_filters.CharFilter(
        label=_("Record type"), field_name="model", lookup_expr="iexact", max_length=40
    )

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "since", "until", "grant", "model"]

    def filter_grant(self, queryset, name, value):
        return queryset.filter(_naming([f"{GRANT_READS}{int(value)}"]))


class AccessReviewView(LoginRequiredMixin, View):
    """访问审查: the personal-data rows of the audit log, filtered and paged by id (keyset:
    ?before=<id>), and the personal-data alerts."""

    jurisdiction_exempt = (
        "the access review: district auditors see the whole log, data owners only the reads "
        "under grants of their areas, anyone else a 404 (reviewer_scope)"
    )

    def entries(self, request):
        scope = reviewer_scope(request.user)
        if scope is None:
            raise Http404
        filterset = AccessFilterSet(request.GET or None, queryset=personal_entries(scope))
        for field in filterset.form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else ("form-control form-control-sm")
            )
            field.widget.attrs.setdefault("class", css)
        return scope, filterset

    def get(self, request):
        scope, filterset = self.entries(request)
        valid = filterset.is_bound is False or filterset.is_valid()
        rows = filterset.qs if filterset.is_bound and valid else filterset.queryset
        if not valid:
            rows = rows.none()
        try:
            before = int(request.GET.get("before", ""))
        except ValueError:
            before = None
        if before is not None:
            rows = rows.filter(pk__lt=before)
        page = list(rows.order_by("-pk")[: PAGE_SIZE + 1])
        next_query = None
        if len(page) > PAGE_SIZE:
            page = page[:PAGE_SIZE]
            query = request.GET.copy()
            query["before"] = page[-1].pk
            next_query = query.urlencode()
        for entry in page:
            entry.model_label = _model_labels().get(entry.model, entry.model)
            entry.field_labels = _field_labels(entry.model, entry.fields)
            entry.grant_id = _grant_of(entry.detail)
        csv_query = request.GET.copy()
        csv_query.pop("before", None)
        alerts = list(AccessAlert.objects.select_related("actor")[:20]) if scope.everything else []
        return render(
            request,
            "datagov/access/review.html",
            {
                "filter": filterset,
                "entries": page,
                "next_query": next_query,
                "paged": before is not None,
                "csv_query": csv_query.urlencode(),
                "alerts": alerts,
                "everything": scope.everything,
            },
            status=200 if valid else 400,
        )


class AccessExportView(AccessReviewView):
    """The filtered rows as CSV (at most CSV_LIMIT, newest first)."""

    def get(self, request):
        _scope, filterset = self.entries(request)
        if filterset.is_bound and not filterset.is_valid():
            return HttpResponse(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        rows = filterset.qs if filterset.is_bound else filterset.queryset
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(
            [_("Time"), _("User"), _("Name"), _("Action"), _("Record type"), _("Record id"),
             _("Fields"), _("Detail")]
        )  # fmt: skip
        for entry in rows.order_by("-pk")[:CSV_LIMIT].iterator(chunk_size=2000):
            actor = entry.actor
            writer.writerow(
                [
                    entry.at.isoformat(timespec="seconds"),
                    actor.get_username() if actor else "",
                    actor.get_full_name() if actor else "",
                    entry.action,
                    entry.model,
                    "" if entry.object_id is None else entry.object_id,
                    entry.fields,
                    _text_cell(entry.detail),
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-review.csv"'
        return response


@cache
def _model_labels() -> dict[str, str]:
    """Record type (a model's class name, as the audit log holds it) → its name in words."""
    return {model.__name__: model._meta.verbose_name for model in apps.get_models()}


@cache
def _models_by_name() -> dict[str, type]:
    return {model.__name__: model for model in apps.get_models()}


def _field_labels(model_name: str, fields: str) -> str:
    """A Person's "id_number,phone" → "证件号码、电话": the audit log keeps field names, a
    reviewer reads them in words (a name no model has any more is shown as it is)."""
    model = _models_by_name().get(model_name)
    labels = []
    for name in filter(None, (part.strip() for part in fields.split(","))):
        try:
            labels.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            labels.append(name)
    return "、".join(labels)


def _grant_of(detail: str) -> int | None:
    """The grant a row names ("grant #7", "grant #7: 12 records, csv"), or None."""
    if not detail.startswith(GRANT_READS):
        return None
    number = detail[len(GRANT_READS) :].split(":", 1)[0]
    return int(number) if number.isdigit() else None


def _text_cell(text: str) -> str:
    # A reason typed by a user is written as text, never as a formula Excel would run.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
