"""Office-console pages of community services, under /console/community/: the request queue
with filters and deadline lights, a request with its steps (accept and assign, done, decline,
convert into a case), recording a walk-in's request, and the care-visit overview (coverage per
grid, who is overdue a visit). Scoped like the cases' console; every write is one service."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import ListView, TemplateView

from cases.console_views import page_number
from community import metrics, services
from community.filtersets import ServiceRequestFilterSet, due_schedules
from community.forms import RequestForm
from community.models import CareVisit, ServiceRequest, VisitSchedule
from community.views.field import RequestDetailView, run_step
from governance.forms import bootstrap_classes
from grid.jurisdiction import JurisdictionScopedMixin, areas_visible_to, restrict
from grid.models import Area
from grid.registry_views import decorate

PAGE = 50


class RequestQueueFilterSet(ServiceRequestFilterSet):
    """The queue's filters in the office's words (the API keeps ServiceRequestFilterSet's):
    each select says what its blank choice means, the yes/no filters what yes and no are, and
    the dates are pickers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["service"].extra["empty_label"] = gettext_lazy("All services")
        self.filters["area"].extra["empty_label"] = gettext_lazy("All my areas")
        self.filters["open"].label = pgettext_lazy("service request filter", "open")
        self.filters["open"].extra["widget"] = forms.Select(
            choices=[
                ("", gettext_lazy("Open and finished")),
                ("true", gettext_lazy("Open only")),
                ("false", gettext_lazy("Finished only")),
            ]
        )
        self.filters["overdue"].extra["widget"] = forms.Select(
            choices=[
                ("", gettext_lazy("Any deadline")),
                ("true", gettext_lazy("Overdue")),
                ("false", gettext_lazy("Not overdue")),
            ]
        )
        for name in ("received_after", "received_before"):
            self.filters[name].extra["widget"] = forms.DateInput(attrs={"type": "date"})

    @property
    def form(self):
        form = super().form
        bootstrap_classes(form.fields.values())
        return form


class ConsoleMixin(LoginRequiredMixin, JurisdictionScopedMixin):
    jurisdiction_path = "grid__path"


class RequestQueueView(ConsoleMixin, ListView):
    """/console/community/requests/: requests of my areas, open ones first by deadline."""

    model = ServiceRequest
    jurisdiction_department = "service__department"
    template_name = "community/console/requests.html"
    context_object_name = "rows"

    def get_queryset(self):
        queryset = super().get_queryset()
        data = self.request.GET.copy()
        if not data:
            data["open"] = "true"
        self.filterset = RequestQueueFilterSet(data, queryset=queryset, request=self.request)
        if not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs.select_related("service", "grid", "person", "assignee").order_by(
            "status", "due_at", "id"
        )

    def get_context_data(self, **kwargs):
        page = page_number(self.request)
        rows = list(self.object_list[(page - 1) * PAGE : page * PAGE + 1])
        context = super().get_context_data(object_list=rows[:PAGE], **kwargs)
        context.update(
            filter=self.filterset,
            rows=rows[:PAGE],
            page=page,
            has_next=len(rows) > PAGE,
            now=timezone.now(),
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class ConsoleRequestView(RequestDetailView):
    """/console/community/requests/{id}/: one request and the steps the user may take."""

    template_name = "community/console/request.html"
    tab = ""

    def post(self, request, pk, action):
        return run_step(self, action, detail_url=reverse("console-service-request", args=[pk]))

    def get(self, request, *args, **kwargs):
        if "action" in kwargs:
            self.get_object()
            return redirect("console-service-request", pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)


class NewRequestView(LoginRequiredMixin, TemplateView):
    """/console/community/requests/new/: a walk-in at the office, or a call, recorded."""

    jurisdiction_exempt = "a form: its choices are drawn through restrict() and areas_visible_to()"
    template_name = "community/console/request_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or RequestForm(user=self.request.user)
        return context

    def post(self, request):
        form = RequestForm(request.POST, request.FILES, user=request.user)
        status = 400
        if form.is_valid():
            try:
                row, _created = services.record_request(
                    actor=request.user, channel=ServiceRequest.Channel.OFFICE, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                messages.success(
                    request, _("Request %(number)s recorded.") % {"number": row.number}
                )
                return redirect("console-service-request", pk=row.pk)
        return self.render_to_response(self.get_context_data(form=form), status=status)


class VisitOverviewView(ConsoleMixin, ListView):
    """/console/community/visits/: coverage of care visits per area over the last 30 days, the
    people overdue a visit now, and the latest visits."""

    model = VisitSchedule
    template_name = "community/console/visits.html"

    def get_queryset(self):
        return due_schedules(super().get_queryset(), timezone.localdate() - timedelta(days=1))

    def _area(self):
        visible = areas_visible_to(self.request.user)
        value = self.request.GET.get("area", "")
        if value.isdecimal():
            chosen = visible.filter(pk=int(value)).first()
            if chosen is not None:
                return chosen
        return visible.order_by("level", "code").first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        area = self._area()
        today = timezone.localdate()
        if area is not None:
            total, per_child = metrics.figures(area, today - timedelta(days=29), today)
            context.update(area=area, total=total, per_child=per_child)
        # The people overdue in the chosen area (the workbench links here with its count).
        overdue = self.object_list
        if area is not None:
            overdue = overdue.filter(grid__path__startswith=area.path)
        overdue = list(overdue.select_related("person__house__building", "grid")[:100])
        for schedule in overdue:
            decorate(schedule.person, today)
            schedule.days_late = (today - schedule.next_visit_on).days
        context["overdue"] = overdue
        context["recent"] = (
            restrict(CareVisit.objects.all(), self.request.user, path_field="grid__path")
            .select_related("person", "visitor", "grid")
            .order_by("-visited_at")[:30]
        )
        context["areas"] = areas_visible_to(self.request.user).exclude(level=Area.Level.GRID)
        return context
