"""The pages of sharing requests and grants (共享需求), for department staff and data owners.

/datagov/requests/            my department's requests, and those waiting for my decision
/datagov/requests/new/        a department's request (?dataset=<key> picks the dataset first)
/datagov/requests/<pk>/       one request; its owner decides here (approve, narrow, refuse)
/datagov/grants/<pk>/         one grant: its owner revokes it, its department reads under it
/datagov/grants/<pk>/records.csv   the granted rows as CSV (one audited export)

Thin: forms parse, datagov/sharing.py decides, writes and audits. Scoped by sharing's
selectors; anything out of reach is a 404.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from datagov import sharing
from datagov.models import DatasetField, Grant, SharingRequest
from datagov.sharing_forms import DecisionForm, RevokeForm, SharingRequestForm, requestable_datasets
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.limits import LimitReached
from grid.models import Area

PAGE_SIZE = 50


def _errors_into(form, error: ValidationError) -> None:
    """The service's per-field messages on the form's fields ("fields.x" on "fields")."""
    for key, problems in error.message_dict.items():
        name = key.split(".", 1)[0]
        form.add_error(name if name in form.fields else None, problems)


class SharingPage(LoginRequiredMixin, JurisdictionScopedMixin, View):
    """Requests and grants are scoped by datagov.sharing's selectors (their department's,
    their own, those of the user's areas), not by one path: get_queryset says so."""

    def get_queryset(self):
        return sharing.requests_visible_to(self.request.user)


class RequestListView(SharingPage):
    """共享需求: the requests of my departments (and mine), and those waiting for my decision."""

    model = SharingRequest

    def get(self, request):
        visible = (
            self.get_queryset()
            .select_related("department", "client", "dataset", "area", "grant")
            .order_by("-id")
        )
        departments = sharing.departments_of(request.user)
        mine = visible.filter(department__in=departments) if departments else visible.none()
        waiting = restrict(
            visible.filter(status=SharingRequest.Status.SUBMITTED),
            request.user,
            path_field="area__path",
        )
        decided = restrict(
            visible.exclude(status=SharingRequest.Status.SUBMITTED),
            request.user,
            path_field="area__path",
        )
        return render(
            request,
            "datagov/sharing/requests.html",
            {
                "mine": list(mine[:PAGE_SIZE]),
                "waiting": list(waiting[:PAGE_SIZE]),
                "decided": list(decided[:PAGE_SIZE]),
                "may_request": bool(departments),
            },
        )


class RequestCreateView(SharingPage):
    """A department's request: choose an 按需共享 dataset, tick its fields, say why, where and
    for how long."""

    model = SharingRequest

    def setup_page(self, request):
        departments = sharing.departments_of(request.user)
        if not departments:
            raise PermissionDenied(_("Only department staff request data."))
        datasets = list(requestable_datasets())
        key = request.POST.get("dataset") or request.GET.get("dataset") or ""
        dataset = next((d for d in datasets if d.key == key), None)
        if dataset is None:
            dataset = next((d for d in datasets if d.key == "grid.household"), datasets[0])
        fields = DatasetField.objects.filter(dataset=dataset).select_related("dataset")
        dataset_fields = list(fields.order_by("position", "name"))
        dataset._prefetched_objects_cache = {"fields": dataset_fields}
        return departments, datasets, dataset

    def page(self, request, form, departments, datasets, dataset, status=200):
        closed = [f for f in dataset.fields.all() if f.effective_class == "none"]
        return render(
            request,
            "datagov/sharing/request_form.html",
            {"form": form, "datasets": datasets, "dataset": dataset, "closed": closed},
            status=status,
        )

    def get(self, request):
        departments, datasets, dataset = self.setup_page(request)
        start, end = sharing.default_period()
        form = SharingRequestForm(
            dataset=dataset,
            departments=departments,
            initial={"starts_on": start, "ends_on": end},
        )
        return self.page(request, form, departments, datasets, dataset)

    def post(self, request):
        departments, datasets, dataset = self.setup_page(request)
        form = SharingRequestForm(request.POST, dataset=dataset, departments=departments)
        if not form.is_valid():
            return self.page(request, form, departments, datasets, dataset, status=400)
        given = form.cleaned_data
        try:
            made = sharing.submit(
                actor=request.user,
                dataset=dataset,
                field_names=given["fields"],
                purpose=given["purpose"],
                area=Area.objects.filter(pk=given["area"]).first(),
                starts_on=given["starts_on"],
                ends_on=given["ends_on"],
                department=next(d for d in departments if d.pk == given["department"]),
            )
        except ValidationError as error:
            _errors_into(form, error)
            return self.page(request, form, departments, datasets, dataset, status=400)
        messages.success(request, _("Request sent; the owner of the data has been told."))
        return redirect("datagov-request", pk=made.pk)


class RequestDetailView(SharingPage):
    """One request, and for its owner the decision: approve, narrow (fields, area, period,
    with a reason) or refuse (with a reason)."""

    model = SharingRequest

    def row(self, pk) -> SharingRequest:
        return get_object_or_404(
            self.get_queryset()
            .select_related("department", "client", "dataset", "area", "decided_by", "grant")
            .prefetch_related(
                Prefetch(
                    "fields",
                    DatasetField.objects.select_related("dataset").order_by("position", "name"),
                )
            ),
            pk=pk,
        )

    def page(self, request, row, form, status=200):
        may_decide = row.status == SharingRequest.Status.SUBMITTED and sharing.can_decide(
            request.user, row.area
        )
        grant = getattr(row, "grant", None) if row.status in ("approved", "narrowed") else None
        return render(
            request,
            "datagov/sharing/request.html",
            {
                "row": row,
                "form": form if may_decide else None,
                "grant": grant,
                "may_withdraw": row.status == SharingRequest.Status.SUBMITTED
                and row.department_id in {d.pk for d in sharing.departments_of(request.user)},
            },
            status=status,
        )

    def get(self, request, pk):
        row = self.row(pk)
        return self.page(request, row, DecisionForm(request=row))

    def post(self, request, pk):
        row = self.row(pk)
        if request.POST.get("withdraw"):
            try:
                sharing.withdraw(row, actor=request.user)
            except sharing.StaleDecision as exc:
                messages.error(request, str(exc))
            return redirect("datagov-request", pk=row.pk)
        form = DecisionForm(request.POST, request=row)
        if not form.is_valid():
            return self.page(request, row, form, status=400)
        given = form.cleaned_data
        try:
            if given["decision"] == "refuse":
                sharing.refuse(row, actor=request.user, reason=given["reason"])
                messages.success(request, _("The request was refused; the requester is told."))
            else:
                grant = sharing.approve(
                    row,
                    actor=request.user,
                    field_names=given["fields"],
                    area=Area.objects.filter(pk=given["area"]).first(),
                    starts_on=given["starts_on"],
                    ends_on=given["ends_on"],
                    reason=given["reason"],
                )
                messages.success(request, _("Approved: grant #%(id)s issued.") % {"id": grant.pk})
        except ValidationError as error:
            _errors_into(form, error)
            return self.page(request, row, form, status=400)
        except sharing.StaleDecision as exc:
            messages.error(request, str(exc))
            return self.page(self.request, self.row(pk), None, status=409)
        return redirect("datagov-request", pk=row.pk)


class GrantDetailView(LoginRequiredMixin, JurisdictionScopedMixin, View):
    """One grant: what it opens, where and until when; its owner revokes it; its department
    reads the granted fields here (a page of records, each read audited) or downloads them."""

    model = Grant

    def get_queryset(self):
        return sharing.grants_visible_to(self.request.user)

    def grant(self, pk) -> Grant:
        return get_object_or_404(
            self.get_queryset()
            .select_related(
                "department", "client__user", "dataset", "area", "request", "revoked_by"
            )
            .prefetch_related(
                Prefetch("fields", DatasetField.objects.order_by("position", "name"))
            ),
            pk=pk,
        )

    def page(self, request, grant, form, status=200):
        fields = sharing.shown_fields(grant)
        records, next_after, refusal = None, None, None
        reader = sharing.is_grantee(request.user, grant)
        if reader:
            try:
                sharing.check_readable(grant, request.user)
            except sharing.GrantNotUsable as exc:
                refusal = str(exc)
            else:
                records, next_after = self.records(request, grant, fields)
        return render(
            request,
            "datagov/sharing/grant.html",
            {
                "grant": grant,
                "state": sharing.state(grant),
                "state_label": sharing.STATE_LABELS[sharing.state(grant)],
                "fields": fields,
                "reader": reader,
                "refusal": refusal,
                "records": records,
                "next_after": next_after,
                "form": form
                if grant.revoked_at is None and sharing.can_decide(request.user, grant.area)
                else None,
            },
            status=status,
        )

    def records(self, request, grant, fields):
        model_fields = sharing.model_fields(grant, fields)
        rows = sharing.page_queryset(grant, model_fields).order_by("pk")
        try:
            after = int(request.GET.get("after", ""))
        except ValueError:
            after = None
        if after is not None:
            rows = rows.filter(pk__gt=after)
        page = list(rows[: PAGE_SIZE + 1])
        more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        sharing.audit_reads(grant, actor=request.user, records=page, fields=fields)
        # On the page a coded value reads as its label (户别 "family" → 家庭户); the API and the
        # CSV give the code.
        labels = [dict(f.flatchoices) if f.choices else None for f in model_fields]
        table = [
            [
                found[f.name] if choices is None else choices.get(found[f.name], found[f.name])
                for f, choices in zip(model_fields, labels, strict=True)
            ]
            for found in (sharing.values(record, model_fields) for record in page)
        ]
        return [(record.pk, cells) for record, cells in zip(page, table, strict=True)], (
            page[-1].pk if more else None
        )

    def get(self, request, pk):
        grant = self.grant(pk)
        return self.page(request, grant, RevokeForm())

    def post(self, request, pk):
        grant = self.grant(pk)
        form = RevokeForm(request.POST)
        if not form.is_valid():
            return self.page(request, grant, form, status=400)
        try:
            sharing.revoke(grant, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _errors_into(form, error)
            return self.page(request, grant, form, status=400)
        except sharing.StaleDecision as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The grant was revoked; nothing more can be read under it.")
            )
        return redirect("datagov-grant", pk=grant.pk)


class GrantRecordsCsvView(GrantDetailView):
    """The granted fields of every row under the grant, as CSV (UTF-8 with a byte-order mark):
    one export in the audit log, counted in the hourly allowance of exports."""

    def get(self, request, pk):
        grant = self.grant(pk)
        sharing.check_readable(grant, request.user)
        fields = sharing.shown_fields(grant)
        model_fields = sharing.model_fields(grant, fields)
        rows = list(sharing.page_queryset(grant, model_fields).order_by("pk"))
        try:
            sharing.audit_export(
                grant, actor=request.user, count=len(rows), fields=fields, fmt="csv"
            )
        except LimitReached as exc:
            return HttpResponse(str(exc), status=429, content_type="text/plain; charset=utf-8")
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(["id", *(f.label for f in fields)])
        for record in rows:
            found = sharing.values(record, model_fields)
            writer.writerow([record.pk, *(_cell(found[f.name]) for f in model_fields)])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="grant-{grant.pk}.csv"'
        return response

    def post(self, request, pk):
        raise Http404


def _cell(value):
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    # A cell Excel would read as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
