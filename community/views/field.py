"""Field-app pages of community services (关爱 tab), mobile first: whom to visit today (due and
overdue, in walking order by building), the visit form, the service-request form, and the
requests of my grids with the steps I may take.

Thin, like the cases' field pages: every page reads through the user's jurisdiction and every
action calls one service of community/services.py. The visit and request forms also work with
no network: static/community/queue.js keeps them in the field app's IndexedDB outbox under a
client id and uploads them to the API, which records a client id once.
"""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.field_views import FieldPageMixin
from cases.photos import photo_response
from community import policies, services
from community.filtersets import due_schedules
from community.forms import STEP_FORMS, STEP_LABELS, STEP_STYLES, RequestForm, VisitForm
from community.models import CareVisit, Service, ServiceRequest, VisitSchedule
from community.workflow import ACTION_LABELS
from grid.idnumbers import mask_phone
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import Person
from grid.registry_views import care_tag_name, decorate

LIST_LIMIT = 200
QUEUE_STRINGS = {
    "saved_pending": gettext_lazy("Saved on this phone; it uploads when there is network."),
    "sent": gettext_lazy("Uploaded."),
    "conflict": gettext_lazy("Someone recorded this first; look again."),
    "fix_errors": gettext_lazy("The server refused it: correct it and submit again."),
    "login_again": gettext_lazy("Your session ended: log in again to upload."),
    "waiting": gettext_lazy("{n} waiting to upload"),
}


class CarePageMixin(FieldPageMixin):
    tab = "care"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queue_strings"] = {key: str(text) for key, text in QUEUE_STRINGS.items()}
        return context


class CareDueView(CarePageMixin, JurisdictionScopedMixin, ListView):
    """Whom to visit today: the people whose visit is due or overdue, by building, unit and
    room, so a worker can walk a route; and how many requests of my grids are open."""

    jurisdiction_path = "grid__path"
    model = VisitSchedule
    template_name = "community/field/due.html"

    def get_queryset(self):
        return (
            due_schedules(super().get_queryset())
            .select_related("person__house__building", "grid")
            .prefetch_related("person__care_tags")[:LIST_LIMIT]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        rows = []
        for schedule in self.object_list:
            person = decorate(schedule.person, today)
            person.tag_names = [care_tag_name(t) for t in person.care_tags.all()]
            schedule.days_late = (today - schedule.next_visit_on).days
            rows.append(schedule)

        def building_of(schedule):
            house = schedule.person.house
            return house.building if house else None

        context["groups"] = [
            {"building": building, "schedules": list(items)}
            for building, items in groupby(rows, key=building_of)
        ]
        context["due_count"] = len(rows)
        context["overdue_count"] = sum(1 for s in rows if s.days_late > 0)
        requests = restrict(
            ServiceRequest.objects.all(), self.request.user, path_field="grid__path"
        )
        context["open_requests"] = requests.filter(status__in=ServiceRequest.OPEN_STATUSES).count()
        return context


class VisitFormView(CarePageMixin, JurisdictionScopedMixin, DetailView):
    """Record a visit to one person (走访): findings, GPS check-in against the building, photos,
    and a need raised (which becomes a service request). Posted by the page's script through
    the outbox to /api/care-visits/; a plain post (no script) is handled here."""

    jurisdiction_path = "grid__path"
    model = Person
    template_name = "community/field/visit.html"
    context_object_name = "person"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("house__building", "grid")
            .prefetch_related("care_tags")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = decorate(self.object)
        person.tag_names = [care_tag_name(t) for t in person.care_tags.all()]
        schedule = VisitSchedule.objects.filter(person=person).first()
        context["schedule"] = schedule
        context["form"] = kwargs.get("form") or VisitForm(
            initial={"schedule_version": schedule.version if schedule else None}
        )
        context["building"] = person.house.building if person.house_id else None
        context["recent"] = person.care_visits.select_related("visitor").prefetch_related("photos")[
            :5
        ]
        context["can_visit"] = policies.can_visit(self.request.user, person)
        return context

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        form = VisitForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                services.record_visit(actor=request.user, person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ConcurrentCaseUpdate:
                form.add_error(
                    None, _("Someone recorded a visit to this person first; look again.")
                )
                status = 409
            else:
                messages.success(request, _("Visit recorded."))
                return redirect("field-care")
        return self.render_to_response(self.get_context_data(form=form), status=status)


class RequestFormView(CarePageMixin, TemplateView):
    """Record a service request (for a person named by ?person=, or a walk-in). Posted by the
    page's script through the outbox to /api/service-requests/; a plain post is handled here."""

    jurisdiction_exempt = "a form: its choices are drawn through restrict() and areas_visible_to()"
    template_name = "community/field/request_form.html"

    def _person(self):
        value = self.request.GET.get("person", "") or self.request.POST.get("person", "")
        if not value.isdecimal():
            return None
        return (
            restrict(Person.objects.all(), self.request.user, path_field="grid__path")
            .select_related("house__building")
            .filter(pk=int(value))
            .first()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self._person()
        form = kwargs.get("form") or RequestForm(
            user=self.request.user,
            initial={"person": person.pk if person else None},
        )
        context.update(
            form=form,
            person=decorate(person) if person else None,
            services=Service.objects.filter(is_active=True),
            api=reverse("service-request-list"),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = RequestForm(request.POST, request.FILES, user=request.user)
        status = 400
        if form.is_valid():
            try:
                row, _created = services.record_request(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                messages.success(
                    request, _("Request %(number)s recorded.") % {"number": row.number}
                )
                return redirect("field-care-request", pk=row.pk)
        return self.render_to_response(self.get_context_data(form=form), status=status)


class RequestListView(CarePageMixin, JurisdictionScopedMixin, ListView):
    """The requests of my grids: open ones first by deadline, then recently finished ones."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "service__department"
    model = ServiceRequest
    template_name = "community/field/requests.html"

    def get_queryset(self):
        return super().get_queryset().select_related("service", "person", "assignee")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.object_list
        context["open"] = list(
            rows.filter(status__in=ServiceRequest.OPEN_STATUSES).order_by("due_at", "id")[
                :LIST_LIMIT
            ]
        )
        context["finished"] = list(
            rows.exclude(status__in=ServiceRequest.OPEN_STATUSES).order_by("-closed_at", "-id")[:50]
        )
        context["now"] = timezone.now()
        return context


class RequestDetailView(CarePageMixin, JurisdictionScopedMixin, DetailView):
    """One request: who, what, its deadline light, history, photos and a form for each step the
    user may take now."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "service__department"
    model = ServiceRequest
    template_name = "community/field/request.html"
    context_object_name = "row"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("service", "grid", "person__house__building", "household", "case")
            .prefetch_related("events__actor", "photos")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.object
        user = self.request.user
        bound = kwargs.get("bound") or ("", None)
        allowed = policies.request_actions_for(user, row)
        forms_ = []
        for name in STEP_FORMS:
            if name not in allowed:
                continue
            form = (
                bound[1]
                if bound[0] == name
                else STEP_FORMS[name](prefix=name, user=user, request=row)
            )
            forms_.append(
                {
                    "name": name,
                    "label": STEP_LABELS[name],
                    "style": STEP_STYLES.get(name, "primary"),
                    "form": form,
                    "open": bound[0] == name,
                }
            )
        if len(forms_) == 1:
            forms_[0]["open"] = True
        context["action_forms"] = forms_
        context["events"] = [
            {"event": e, "label": ACTION_LABELS.get(e.action, e.action)}
            for e in reversed(list(row.events.all()))
        ]
        if row.person_id:
            decorate(row.person)
        row.masked_walk_in_phone = mask_phone(row.walk_in_phone)
        context["now"] = timezone.now()
        return context


STEP_SERVICES = {
    "accept": services.accept_request,
    "assign": services.assign_request,
    "complete": services.complete_request,
    "decline": services.decline_request,
    "rate": services.rate_request,
    "convert": services.convert_request,
}
STEP_DONE = {
    "accept": gettext_lazy("Accepted."),
    "assign": gettext_lazy("Assigned."),
    "complete": gettext_lazy("Done."),
    "decline": gettext_lazy("Declined."),
    "rate": gettext_lazy("Satisfaction recorded."),
    "convert": gettext_lazy("Converted to a case."),
}


def run_step(view, action: str, *, detail_url: str):
    """POST one step on a request through its service. Bad input re-renders the page with the
    messages beside their fields (400); a refused step is 403; a status that no longer allows
    it, or a stale page, is 409. Shared by the field app and the console."""
    if action not in STEP_FORMS:
        raise Http404
    request = view.request
    view.object = row = view.get_object()
    form = STEP_FORMS[action](
        request.POST, request.FILES, prefix=action, user=request.user, request=row
    )
    status = 400
    if form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            if version is not None and version != row.version:
                raise ConcurrentCaseUpdate(version, row.version)
            STEP_SERVICES[action](row, actor=request.user, **form.service_arguments())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not take this step on this request."))
            status = 403
        except (InvalidTransition, ConcurrentCaseUpdate):
            form.add_error(None, _("Someone changed this request after you opened it; look again."))
            status = 409
        else:
            messages.success(request, STEP_DONE[action])
            return HttpResponseRedirect(detail_url)
    view.object = view.get_queryset().get(pk=row.pk)
    if status in (403, 409):
        context = view.get_context_data(object=view.object)
        context["step_error"] = form.non_field_errors()
    else:
        context = view.get_context_data(object=view.object, bound=(action, form))
    return view.render_to_response(context, status=status)


class RequestStepView(RequestDetailView):
    """POST /field/care/requests/{id}/{action}/: one step through its service."""

    def get(self, request, *args, **kwargs):
        self.get_object()  # out of the user's jurisdiction: 404, like every detail route
        return redirect("field-care-request", pk=kwargs["pk"])

    def post(self, request, pk, action):
        return run_step(self, action, detail_url=reverse("field-care-request", args=[pk]))


class RequestPhotoView(LoginRequiredMixin, JurisdictionScopedMixin, SingleObjectMixin, View):
    """?id=N: a photo of the request (&size=thumbnail: its thumbnail), to those who see it."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "service__department"
    model = ServiceRequest

    def get(self, request, pk):
        row = self.get_object()
        photo_id = request.GET.get("id", "")
        picture = row.photos.filter(pk=int(photo_id)).first() if photo_id.isdecimal() else None
        if picture is None:
            raise Http404
        return photo_response(picture, thumbnail=request.GET.get("size") == "thumbnail")


class VisitPhotoView(LoginRequiredMixin, JurisdictionScopedMixin, SingleObjectMixin, View):
    """?id=N: a photo of a care visit (&size=thumbnail: its thumbnail), to those who see it."""

    jurisdiction_path = "grid__path"
    model = CareVisit

    def get(self, request, pk):
        visit = self.get_object()
        photo_id = request.GET.get("id", "")
        picture = visit.photos.filter(pk=int(photo_id)).first() if photo_id.isdecimal() else None
        if picture is None:
            raise Http404
        return photo_response(picture, thumbnail=request.GET.get("size") == "thumbnail")
