"""Pages for importing the registry from CSV/XLSX files and for exporting it.

Thin: each view reads a form or a URL, calls grid/imports.py or grid/exports.py and renders a
template or a download. Every page is scoped like the rest (JurisdictionScopedMixin): an import
job or an area outside the user's jurisdiction is a 404.
"""

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView

from grid import exports, imports, limits, policies
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area, ImportJob

REPORT_ROWS_SHOWN = 500


class ImportForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label=_("Import into"))
    kind = forms.ChoiceField(
        choices=ImportJob.Kind.choices,
        initial=ImportJob.Kind.AUTO,
        label=_("The file holds"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        label=_("Mode"),
    )
    file = forms.FileField(label=_("File (.csv or .xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = imports.areas_open_to_import(user).order_by("code")


class ImportJobScopeMixin(JurisdictionScopedMixin):
    """Jobs of the areas in the user's jurisdiction, and the user's own uploads."""

    jurisdiction_path = "area__path"
    model = ImportJob

    def get_queryset(self):
        return super().get_queryset() | ImportJob.objects.filter(uploader=self.request.user)


class ImportListView(LoginRequiredMixin, ImportJobScopeMixin, ListView):
    """The upload form, the layouts, and the import jobs the user may see."""

    template_name = "grid/imports/list.html"
    context_object_name = "jobs"
    paginate_by = 20

    def get_queryset(self):
        return super().get_queryset().select_related("area", "uploader")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm(user=self.request.user))
        context["layouts"] = [
            (kind, ImportJob.Kind(kind).label, imports.layout_header(kind))
            for kind in imports.KIND_ORDER
        ]
        return context

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = imports.start_import(actor=request.user, upload=form.cleaned_data["file"],
                    area=form.cleaned_data["area"], mode=form.cleaned_data["mode"],
                    kind=form.cleaned_data["kind"])  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("registry-import", pk=job.pk)
        self.object_list = self.get_queryset()
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)


class ImportDetailView(LoginRequiredMixin, ImportJobScopeMixin, DetailView):
    """One job: its progress while it runs (the page polls ImportProgressView), then its report."""

    template_name = "grid/imports/detail.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        context["progress"] = imports.job_progress(job)
        context["errors"] = job.errors[:REPORT_ROWS_SHOWN]
        context["errors_cut"] = len(job.errors) > REPORT_ROWS_SHOWN
        context["created"] = [
            (ImportJob.Kind(kind).label, job.created[kind])
            for kind in imports.KIND_ORDER
            if job.created.get(kind)
        ]
        return context


class ImportProgressView(LoginRequiredMixin, ImportJobScopeMixin, DetailView):
    """The job's progress as JSON, for the job page to poll."""

    def render_to_response(self, context, **response_kwargs):
        return JsonResponse(imports.job_progress(self.object))


class ImportReportView(LoginRequiredMixin, ImportJobScopeMixin, DetailView):
    """Every bad row of a job as CSV (the page shows the first few hundred)."""

    def render_to_response(self, context, **response_kwargs):
        job = self.object
        sheet = exports.Sheet(
            title=str(_("Bad rows")),
            header=[str(_("Sheet")), str(_("Line")), str(_("Column")), str(_("Field")),
                    str(_("Problem"))],
            rows=([e.get("sheet", ""), e["line"], e.get("column", ""), e["field"], e["message"]]
                  for e in job.errors),
        )  # fmt: skip
        return _download(sheet, "csv", f"import-{job.pk}-report")


class ImportTemplateView(LoginRequiredMixin, View):
    """An empty file with the header row of one layout, to fill in."""

    jurisdiction_exempt = "a header row of a layout; no data"

    def get(self, request, kind):
        if kind not in imports.LAYOUTS:
            raise Http404
        sheet = exports.Sheet(title=kind, header=imports.layout_header(kind), rows=[])
        return _download(sheet, "csv", f"registry-{kind}")


class ExportListView(LoginRequiredMixin, JurisdictionScopedMixin, ListView):
    """The areas the user may export, with their download links."""

    jurisdiction_path = "path"
    model = Area
    template_name = "grid/imports/exports.html"
    context_object_name = "areas"
    paginate_by = 30

    def get_queryset(self):
        return super().get_queryset().select_related("parent").order_by("level", "code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["rows"] = [
            (area, policies.can_export_personal_data(user, area)) for area in context["areas"]
        ]
        return context


class StatisticsExportView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """Counts of an area's persons (no personal data) as CSV or XLSX."""

    jurisdiction_path = "path"
    model = Area
    file_format = "csv"

    def render_to_response(self, context, **response_kwargs):
        area = self.object
        return _download(
            exports.statistics(area), self.file_format, f"registry-statistics-{area.code}"
        )


class PersonExportForm(forms.Form):
    file_format = forms.ChoiceField(
        choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV (UTF-8)")],
        label=_("Format"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=150)


class PersonsExportView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """The personal export of an area: a confirmation page, then the download (POST only, as it
    is recorded in the audit log). Refused (403) to roles without the right, and (429) beyond
    the account's hourly allowance of exports."""

    jurisdiction_path = "path"
    model = Area
    template_name = "grid/imports/export_persons.html"
    context_object_name = "area"

    def get_object(self, queryset=None):
        area = super().get_object(queryset)
        if not policies.can_export_personal_data(self.request.user, area):
            raise PermissionDenied(_("You may not export personal data of this area."))
        return area

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PersonExportForm())
        context["count"] = exports.living_persons(self.object).count()
        return context

    def post(self, request, *args, **kwargs):
        self.object = area = self.get_object()
        form = PersonExportForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        file_format = form.cleaned_data["file_format"]
        try:
            sheet = exports.persons(
                area,
                actor=request.user,
                file_format=file_format,
                reason=form.cleaned_data["reason"],
            )
        except limits.LimitReached as exc:
            context = self.get_context_data(form=form, limit_reached=str(exc))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return _download(sheet, file_format, f"registry-persons-{area.code}")


def _download(sheet: exports.Sheet, file_format: str, stem: str):
    name = f"{stem}-{timezone.localdate():%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(sheet),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(
            exports.csv_chunks(sheet), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Downloads may hold personal data: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
