"""The queue as a file (导出): /console/cases/export/?format=csv|xlsx&<the queue's query>.

The same view as the queue (CaseQueueView: the same jurisdiction, the same held/area view, the
same QueueFilterSet and sort), so a button carrying the queue's query string downloads exactly
the rows the queue lists, every page of them. CSV is UTF-8 with a byte-order mark (Excel on
Chinese Windows reads it as UTF-8 only so) and streams as it is read; XLSX is written with
openpyxl's write-only workbook (grid/exports.py, shared with the registry's exports).

No personal data: the columns are the case's facts (number, title, category, status, level and
holder, grid, source, the milestones in local time, overdue, the lead department, the
satisfaction score). Left out on purpose: the reporter (a resident's or worker's name), the
hotline caller, the linked persons and households, and the description and address, which
are free text residents dictate ("张阿姨，电话138…，家住12号301室") and no mask can clean
reliably. So the export is not a personal-data export and is not written to the personal
data audit log (grid.models.AuditEntry, which is for reads of personal data and would drown
in these); it is logged (user id, format, row count, no query values) for operations.

A query that matches more than MAX_ROWS cases is refused (400, a page that says why), not
cut short silently: a partial file read as the whole would be worse than none. So are an
unknown format and filters the queue cannot read (each field's error named).
"""

import logging
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.console_views import QUEUE_COLUMNS, CaseQueueView, S
from cases.forms import choice_labels
from cases.models import Case, Dispatch, Urgency
from grid import exports
from grid.models import Area

logger = logging.getLogger(__name__)

MAX_ROWS = 50_000
CHUNK = 2_000  # rows read per round trip of the server-side cursor
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_COLUMNS = [
    *QUEUE_COLUMNS,
    *("source", "accepted_at", "closed_at", "satisfaction", "holder__name"),
]
OPEN_CLOCKS = (S.REPORTED, S.IN_PROGRESS)


def header() -> list[str]:
    field = Case._meta.get_field
    return [
        str(field("number").verbose_name),
        str(field("title").verbose_name),
        str(field("category").verbose_name),
        str(field("status").verbose_name),
        str(field("urgency").verbose_name),
        str(field("level").verbose_name),
        str(field("holder").verbose_name),
        str(field("grid").verbose_name),
        str(field("source").verbose_name),
        str(field("reported_at").verbose_name),
        str(field("accepted_at").verbose_name),
        str(field("due_at").verbose_name),
        str(field("closed_at").verbose_name),
        str(field("is_overdue").verbose_name),
        _("Lead department"),
        str(field("satisfaction").verbose_name),
    ]


def is_late(case, now: datetime) -> bool:
    """Overdue as the queue's filter decides it: flagged by the sweeper, or its stage's (or its
    lead dispatch's) deadline has passed."""
    if case.is_overdue:
        return True
    if case.status in OPEN_CLOCKS:
        return case.due_at is not None and case.due_at < now
    if case.status == S.DISPATCHED:
        return case.lead_due_at is not None and case.lead_due_at < now
    return False


def rows(queryset, now: datetime):
    """The export's rows, one per case, read in chunks (constant queries, bounded memory). The
    labels are read now, in the request's language: the rows are written while the response
    streams, after the view has returned."""
    statuses, urgencies = choice_labels(S), choice_labels(Urgency)
    levels, sources = choice_labels(Area.Level), choice_labels(Case.Source)
    yes, no = _("Yes"), _("No")
    english = (get_language() or "").lower().startswith("en")
    zone = timezone.get_default_timezone()  # Asia/Shanghai (settings.TIME_ZONE)

    def category(case) -> str:  # cases/forms.py category_label, in the request's language
        name = case.category
        return name.name_en if english and name.name_en else name.name

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    def written():
        for case in queryset.iterator(chunk_size=CHUNK):
            yield [
                case.number,
                case.title,
                category(case),
                str(statuses.get(case.status, case.status)),
                str(urgencies.get(case.urgency, case.urgency)),
                str(levels.get(case.level, case.level)),
                case.holder.name,
                case.grid.name,
                str(sources.get(case.source, case.source)),
                local(case.reported_at),
                local(case.accepted_at),
                local(case.lead_due_at if case.status == S.DISPATCHED else case.due_at),
                local(case.closed_at),
                yes if is_late(case, now) else no,
                case.lead_department or "",
                case.satisfaction if case.satisfaction is not None else "",
            ]

    return written()


class QueueExportView(CaseQueueView):
    """GET /console/cases/export/?format=csv|xlsx&…: the queue's rows, all pages, as a file."""

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("format", "csv")
        if file_format not in FORMATS:
            return self.refuse(_("Choose CSV or Excel to export."))
        queryset = self.get_queryset()
        if not self.filterset.is_valid():
            return self.refuse(_("Correct the filters before exporting."))
        lead = Dispatch.objects.filter(case=OuterRef("pk"), role=Dispatch.Role.LEAD).exclude(
            Q(status__in=[Dispatch.Status.REFUSED, Dispatch.Status.CANCELLED])
        )
        queryset = queryset.only(*EXPORT_COLUMNS).annotate(
            lead_department=Subquery(lead.order_by("-id").values("department__name")[:1])
        )
        if queryset[MAX_ROWS : MAX_ROWS + 1].exists():
            return self.refuse(
                _(
                    "The export holds at most %(limit)s cases and these filters match more. "
                    "Narrow them (for example by date or area) and export again."
                )
                % {"limit": f"{MAX_ROWS:,}"}
            )
        logger.info("queue export: user %s, format %s", request.user.pk, file_format)
        sheet = exports.Sheet(
            title=_("Cases"), header=header(), rows=rows(queryset, timezone.now())
        )
        name = f"cases-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"
        if file_format == "xlsx":
            response = HttpResponse(exports.to_xlsx(sheet), content_type=XLSX_TYPE)
        else:
            response = StreamingHttpResponse(
                exports.csv_chunks(sheet), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def refuse(self, message: str):
        """A 400 page with the reason and a way back to the queue as it was (its query), and
        nothing downloaded."""
        query = self.request.GET.copy()
        query.pop("format", None)
        back = reverse("console-queue") + (f"?{query.urlencode()}" if query else "")
        filterset = getattr(self, "filterset", None)
        errors = []  # (field name, its label, its messages)
        if filterset is not None and not filterset.is_valid():
            form = filterset.form
            for name, messages in form.errors.items():
                if name in form.fields:
                    errors.append((name, form[name].label, " ".join(messages)))
        context = {"message": message, "back": back, "errors": errors}
        return render(self.request, "console/export_refused.html", context, status=400)
