"""Pages of the field app (网格员手机端), mobile first: 上报 report, 任务 my tasks, 走访 visits and
消息 messages, plus the web app manifest and the service worker that make it installable and let
it open with no network.

Thin, like the API: every page reads through the user's jurisdiction (JurisdictionScopedMixin,
restrict(), cases_visible_to()) and every action calls one service of cases/services.py or
grid/registry.py, whose errors come back next to their field. The report form posts nothing
here: static/field/outbox.js keeps each report in IndexedDB under its client id and uploads it
to POST /api/cases/, which files a client id once however often it is retried.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as CaseWhen
from django.db.models import F, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, RedirectView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from cases import limits, notifications, policies, services
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.field_forms import (
    CallbackForm,
    FieldStepForm,
    LifeEventForm,
    ReasonForm,
    ResultForm,
    VerifyForm,
    VisitUpdateForm,
)
from cases.filtersets import cases_visible_to
from cases.forms import category_label
from cases.models import Callback, Case, CaseEvent, Notification, Urgency
from cases.photos import photo_response
from cases.workflow import ACTION_LABELS
from grid import maps, registry
from grid import policies as grid_policies
from grid.jurisdiction import JurisdictionScopedMixin, areas_visible_to, restrict
from grid.models import Area, Building, Household, Person, Post
from grid.registry_views import care_tag_name, decorate, keyset_page

S = Case.Status
Level = Area.Level
LIST_LIMIT = 100
# Closed cases stay on the callback list (回访) this long; older ones are the office's to chase.
CALLBACK_WINDOW = timedelta(days=30)
REPORT_MAX_PHOTOS = 9  # a report's photos live on the phone until uploaded: keep them few
LEVEL_OF_ROLE = {role: level for level, role in policies.ROLE_OF_LEVEL.items()}


def my_grids(user):
    """The grids the user can see, in code order: a grid worker's own grid(s)."""
    return areas_visible_to(user).filter(level=Level.GRID).order_by("code")


def _active_posts(user) -> list[tuple[str, str]]:
    return list(
        Post.objects.filter(user=user, is_active=True, area__isnull=False).values_list(
            "role", "area__path"
        )
    )


def _any_prefix(field: str, paths) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


# Strings the pages' scripts show, translated here so that one catalogue (the django domain)
# holds every message of the app. "{n}" and "{name}" are filled in by the scripts.
SCRIPT_STRINGS = {
    "online": gettext_lazy("Online"),
    "offline": gettext_lazy("Offline"),
    "locating": gettext_lazy("Finding your location…"),
    "located": gettext_lazy("Location found (± {n} m)"),
    "no_geolocation": gettext_lazy("This browser cannot tell the location; choose the grid."),
    "location_failed": gettext_lazy("No location ({reason}); choose the grid."),
    "location_denied": gettext_lazy(
        "Location is not allowed for this site: allow it in the browser's settings, or choose "
        "the grid."
    ),
    "location_unavailable": gettext_lazy(
        "The phone cannot find its position here (no GPS signal); try again outdoors, or "
        "choose the grid."
    ),
    "location_timeout": gettext_lazy(
        "Finding the location took too long; tap Locate again, or choose the grid."
    ),
    "location_failed_plain": gettext_lazy("No location; choose the grid."),
    "grid_found": gettext_lazy("Grid: {name}"),
    "grid_outside": gettext_lazy("This place lies outside your grids; choose the grid."),
    "grid_later": gettext_lazy("Offline: the grid is found from the location on upload."),
    "categories_failed": gettext_lazy("The categories could not be loaded."),
    "no_category_match": gettext_lazy("No category matches."),
    "choose_category": gettext_lazy("Choose a category."),
    "give_title": gettext_lazy("Give the case a title."),
    "give_location": gettext_lazy("Wait for the location or choose a grid."),
    "too_many_photos": gettext_lazy("At most {n} photos."),
    "not_a_photo": gettext_lazy("This file is not a photo."),
    "compressing": gettext_lazy("Compressing photos…"),
    "compressed": gettext_lazy("{n} photo(s) ready, {size} KB"),
    "saved_pending": gettext_lazy("Saved on this phone; it uploads when there is network."),
    "sent": gettext_lazy("Uploaded as case {name}."),
    "sync_running": gettext_lazy("Uploading…"),
    "sync_done": gettext_lazy("Last synchronised {name}"),
    "sync_offline": gettext_lazy("No network: the reports wait on this phone."),
    "login_again": gettext_lazy("Your session ended: log in again to upload."),
    "server_busy": gettext_lazy("The server did not answer; it will be retried."),
    "fix_errors": gettext_lazy("The server refused this report: correct it and submit again."),
    "state_draft": gettext_lazy("Draft"),
    "state_pending": gettext_lazy("Waiting to upload"),
    "state_sent": gettext_lazy("Uploaded"),
    "untitled": gettext_lazy("(no title)"),
    "edit": gettext_lazy("Edit"),
    "delete": gettext_lazy("Delete"),
    "confirm_delete": gettext_lazy("Delete this draft and its photos?"),
    "remove_photo": gettext_lazy("Remove photo"),
    "needs_network": gettext_lazy("Needs network"),
    "none": gettext_lazy("None"),
    "loading": gettext_lazy("Loading…"),
    "outbox_empty": gettext_lazy("Nothing in the outbox."),
    "logout_pending": gettext_lazy(
        "{n} report(s) have not been uploaded yet; they stay on this phone until you log in "
        "again. Log out?"
    ),
}


class FieldPageMixin(LoginRequiredMixin):
    """What every field page has: login required, the bottom tab, the unread count, the
    scripts' strings. Pages are never cached by the browser's HTTP cache: the service worker
    keeps its own copy for offline use."""

    tab = ""

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = self.tab
        context["unread"] = notifications.unread_count(self.request.user)
        context["script_strings"] = {key: str(text) for key, text in SCRIPT_STRINGS.items()}
        context["csrf_cookie_name"] = settings.CSRF_COOKIE_NAME
        return context


class FieldHomeView(LoginRequiredMixin, RedirectView):
    """/field/ opens the report screen."""

    jurisdiction_exempt = "a redirect to the report form"
    pattern_name = "field-report"


class OfflineView(FieldPageMixin, TemplateView):
    """What the service worker shows for a field page it has no copy of while offline."""

    jurisdiction_exempt = "a static page"
    template_name = "field/offline.html"


# 上报 Report


class ReportView(FieldPageMixin, TemplateView):
    """The report form and the outbox. Its choices (grids, buildings, and a building, household
    or person named in the query string by a visit page) are drawn from the user's
    jurisdiction; the script does the rest, offline first."""

    jurisdiction_exempt = "a form: its choices come from areas_visible_to() and restrict()"
    template_name = "field/report.html"
    tab = "report"
    MAX_BUILDINGS = 500
    MAP_GRIDS = 50  # a worker has one or two; a district account is not drawn every grid

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        grids = list(my_grids(user))
        buildings = list(
            restrict(Building.objects.all(), user, path_field="grid__path")
            .filter(grid__in=grids)
            .select_related("grid")
            .order_by("grid__code", "number", "id")[: self.MAX_BUILDINGS]
        )
        context.update(
            grids=grids,
            buildings=buildings,
            urgencies=Urgency.choices,
            preset=self._preset(user),
            categories_url=CATEGORIES_URL,
            max_photos=REPORT_MAX_PHOTOS,
            limits=limits.LIMITS,
            # The small map of the form (static/maps/sanhua-map.js, mode field): the worker's
            # grids and buildings go into the page, which the service worker keeps for offline.
            field_map={
                "areas": maps.areas_geojson(grids[: self.MAP_GRIDS]),
                "buildings": maps.building_points(buildings),
            },
        )
        return context

    def _preset(self, user) -> dict:
        """A building, household and person named in the query string (by the visit pages),
        each only if the user can see it."""
        preset = {}
        for name, model in (("building", Building), ("household", Household), ("person", Person)):
            value = self.request.GET.get(name, "")
            if value.isdecimal():
                row = (
                    restrict(model.objects.all(), user, path_field="grid__path")
                    .filter(pk=int(value))
                    .first()
                )
                if row is not None:
                    preset[name] = row
        return preset


# 任务 My tasks


class TaskListView(FieldPageMixin, JurisdictionScopedMixin, ListView):
    """Three lists: the open cases my posts hold (accept, resolve, escalate …), the resolved
    cases of my grids waiting for on-site verification, and closed cases with no callback."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    model = Case
    template_name = "field/tasks.html"
    tab = "tasks"

    def get_queryset(self):
        return super().get_queryset().select_related("category", "grid", "holder")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        cases = self.object_list
        posts = _active_posts(user)
        held = Q(pk__in=[])
        for role, path in posts:
            if role in LEVEL_OF_ROLE:
                held |= Q(level=LEVEL_OF_ROLE[role], holder__path__startswith=path)
        worker_paths = [p for r, p in posts if r == Post.Role.GRID_WORKER]
        callback_paths = [p for r, p in posts if r in policies.ROLE_OF_LEVEL.values()]
        if user.is_superuser:
            held, worker_paths, callback_paths = Q(), ["/"], ["/"]
        urgency_first = CaseWhen(
            When(urgency=Urgency.EMERGENCY, then=Value(0)),
            When(urgency=Urgency.URGENT, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        context["held"] = list(
            cases.filter(held, status__in=[S.REPORTED, S.IN_PROGRESS, S.SUSPENDED])
            .annotate(urgency_rank=urgency_first)
            .order_by("urgency_rank", F("due_at").asc(nulls_last=True), "-reported_at")[:LIST_LIMIT]
        )
        context["to_verify"] = list(
            cases.filter(_any_prefix("grid__path", worker_paths), status=S.RESOLVED).order_by(
                "resolved_at", "id"
            )[:LIST_LIMIT]
        )
        context["to_call_back"] = list(
            cases.filter(
                _any_prefix("grid__path", callback_paths),
                status=S.CLOSED,
                closed_at__gte=timezone.now() - CALLBACK_WINDOW,
            )
            .exclude(pk__in=Callback.objects.values("case_id"))
            .order_by("-closed_at", "-id")[:LIST_LIMIT]
        )
        for case in [*context["held"], *context["to_verify"], *context["to_call_back"]]:
            case.category_label = category_label(case.category)
        context["now"] = timezone.now()
        return context


@dataclass(frozen=True)
class FieldAction:
    """One workflow step as the field app offers it: its button, the form whose fields are the
    arguments of the service it calls, and what the page says once it is done."""

    label: object  # lazy
    form_class: type[FieldStepForm]
    service: Callable
    style: str = "primary"
    done: object = ""

    def call(self, case, user, form: FieldStepForm):
        return self.service(case, actor=user, **form.service_arguments())


# The steps a grid worker takes in the field, in the order their buttons appear. Dispatching
# needs the office console (departments and deadlines).
ACTIONS = {
    "accept": FieldAction(
        gettext_lazy("Accept"), FieldStepForm, services.accept_case, done=gettext_lazy("Accepted.")
    ),
    "verify": FieldAction(
        gettext_lazy("Verify on site"),
        VerifyForm,
        services.verify_case,
        done=gettext_lazy("Verification recorded."),
    ),
    "self_resolve": FieldAction(
        gettext_lazy("Resolved on the spot"),
        ResultForm,
        services.self_resolve_case,
        style="success",
        done=gettext_lazy("Resolved on the spot and closed."),
    ),
    "resolve": FieldAction(
        gettext_lazy("Resolved"),
        ResultForm,
        services.resolve_case,
        style="success",
        done=gettext_lazy("Resolved; it waits for verification."),
    ),
    "callback": FieldAction(
        gettext_lazy("Callback"),
        CallbackForm,
        services.callback_case,
        done=gettext_lazy("Callback recorded."),
    ),
    "escalate": FieldAction(
        gettext_lazy("Escalate"),
        ReasonForm,
        services.escalate_case,
        style="warning",
        done=gettext_lazy("Escalated to the next level."),
    ),
    "return_down": FieldAction(
        gettext_lazy("Return down"),
        ReasonForm,
        services.return_case,
        style="secondary",
        done=gettext_lazy("Returned down."),
    ),
    "suspend": FieldAction(
        gettext_lazy("Suspend"),
        ReasonForm,
        services.suspend_case,
        style="secondary",
        done=gettext_lazy("Suspended."),
    ),
    "resume": FieldAction(
        gettext_lazy("Resume"),
        FieldStepForm,
        services.resume_case,
        style="secondary",
        done=gettext_lazy("Resumed."),
    ),
    "urge": FieldAction(
        gettext_lazy("Urge"),
        ReasonForm,
        services.urge_case,
        style="secondary",
        done=gettext_lazy("Urged."),
    ),
    "reopen": FieldAction(
        gettext_lazy("Reopen"),
        ReasonForm,
        services.reopen_case,
        style="secondary",
        done=gettext_lazy("Reopened."),
    ),
    "reject": FieldAction(
        gettext_lazy("Not registered (invalid)"),
        ReasonForm,
        services.reject_case,
        style="danger",
        done=gettext_lazy("Closed as not registered."),
    ),
}


# Steps the API may allow that need the office console's forms (departments, deadlines).
OFFICE_ACTIONS = {"dispatch": gettext_lazy("Dispatch")}


def _case_detail_queryset(queryset):
    return queryset.select_related("category", "grid", "holder", "reporter").prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("version")),
        "photos",
    )


class CaseActionsMixin:
    """The case page's data: the actions the user may take now (exactly the API's
    `allowed_actions`), a form for each the field app offers, the history and registry links."""

    def case_context(self, case: Case, *, bound: tuple[str, forms.Form] | None = None) -> dict:
        user = self.request.user
        allowed = policies.step_names(policies.case_actions_for(user, case))
        forms_ = []
        for name in ACTIONS:
            if name not in allowed:
                continue
            action = ACTIONS[name]
            if bound and bound[0] == name:
                form = bound[1]
            else:
                form = action.form_class(prefix=name, user=user, case=case)
            is_bound = bool(bound) and bound[0] == name
            forms_.append({"name": name, "action": action, "form": form, "open": is_bound})
        if len(forms_) == 1:
            forms_[0]["open"] = True  # the one thing to do here: no extra tap
        events = [
            {"event": e, "label": ACTION_LABELS.get(e.action, e.action)} for e in case.events.all()
        ]
        links = {
            "buildings": restrict(case.buildings.all(), user, path_field="grid__path"),
            "households": restrict(case.households.all(), user, path_field="grid__path"),
            "persons": restrict(case.persons.all(), user, path_field="grid__path"),
        }
        return {
            "case": case,
            "category_label": category_label(case.category),
            "allowed_actions": allowed,
            "action_forms": forms_,
            "office_actions": [str(OFFICE_ACTIONS.get(a, a)) for a in allowed if a not in ACTIONS],
            "events": events[::-1],
            "links": links,
        }


class TaskDetailView(FieldPageMixin, JurisdictionScopedMixin, CaseActionsMixin, DetailView):
    """One case: what, where, its history, and a form for each step the user may take now."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    model = Case
    template_name = "field/task_detail.html"
    context_object_name = "case"
    tab = "tasks"

    def get_queryset(self):
        return _case_detail_queryset(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.case_context(self.object, bound=kwargs.get("bound")))
        return context


class TaskPhotoView(LoginRequiredMixin, JurisdictionScopedMixin, SingleObjectMixin, View):
    """?id=N: a photo of the case (&size=thumbnail: its thumbnail), to those who can see the
    case. Uploads are not served from a public media URL: a photo may show residents and their
    homes."""

    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    model = Case

    def get(self, request, pk):
        case = self.get_object()
        photo_id = request.GET.get("id", "")
        picture = case.photos.filter(pk=int(photo_id)).first() if photo_id.isdecimal() else None
        if picture is None:
            raise Http404
        return photo_response(picture, thumbnail=request.GET.get("size") == "thumbnail")


class TaskActionView(TaskDetailView):
    """POST /field/tasks/{id}/{action}/: one workflow step through its service. The step is
    checked before the form is read (policies.check_case_step): a step the policy refuses is a
    403, a stale page, a step someone else took first or one the case's status no longer
    allows a 409; then bad input re-renders the case page with the messages beside their
    fields (400). The service runs in one transaction, so a refused step leaves nothing
    behind."""

    def get(self, request, *args, **kwargs):
        self.get_object()  # out of the user's jurisdiction: 404, like every detail route
        return redirect("field-task", pk=kwargs["pk"])

    def post(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404
        self.object = case = self.get_object()
        step = ACTIONS[action]
        form = step.form_class(
            request.POST, request.FILES, prefix=action, user=request.user, case=case
        )
        status = 400
        try:
            policies.check_case_step(request.user, case, action, read_version=form.read_version())
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not take this step on this case."))
            status = 403
        except InvalidTransition as exc:
            form.add_error(None, self.not_now(exc))
            status = 409
        except ConcurrentCaseUpdate:
            form.add_error(None, _("Someone changed this case after you opened it; look again."))
            status = 409
        if status == 400 and form.is_valid():
            version = form.cleaned_data.get("version")
            try:
                if version is not None and version != case.version:
                    raise ConcurrentCaseUpdate(version, case.version)
                step.call(case, request.user, form)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not take this step on this case."))
                status = 403
            except InvalidTransition as exc:
                form.add_error(None, self.not_now(exc))
                status = 409
            except ConcurrentCaseUpdate:
                form.add_error(
                    None, _("Someone changed this case after you opened it; look again.")
                )
                status = 409
            else:
                messages.success(request, step.done)
                return redirect("field-task", pk=case.pk)
        self.object = case = self.get_queryset().get(pk=case.pk)
        if status in (403, 409):
            # Not this user's step, or not any more: the forms of what is possible now, the
            # reason on top.
            context = self.get_context_data(object=case)
            context["step_error"] = form.non_field_errors()
        else:
            context = self.get_context_data(object=case, bound=(action, form))
        return self.render_to_response(context, status=status)

    @staticmethod
    def not_now(exc: InvalidTransition) -> str:
        return _("This step is no longer possible: the case is now “%(status)s”.") % {
            "status": _status_label(exc.status)
        }


def _status_label(value: str) -> str:
    return str(S(value).label) if value in S.values else value


# 走访 Visits


class VisitListView(FieldPageMixin, JurisdictionScopedMixin, ListView):
    """My grids' buildings, the way into the registry's building pages (floors × rooms →
    households → people, masked), and the people with care tags, whom visits are for."""

    jurisdiction_path = "grid__path"
    model = Building
    template_name = "field/visits.html"
    tab = "visits"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("grid")
        # A NUL byte is no character anyone types, and PostgreSQL refuses it in a query.
        q = self.request.GET.get("q", "").replace("\x00", "").strip()
        if q:
            queryset = queryset.filter(Q(number=q) | Q(name__icontains=q) | Q(address__icontains=q))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, next_query, paged = keyset_page(self.object_list, self.request)
        context.update(buildings=rows, next_query=next_query, paged=paged)
        context["q"] = self.request.GET.get("q", "")
        cared = (
            restrict(Person.objects.all(), self.request.user, path_field="grid__path")
            .filter(status=Person.Status.LIVING, care_tags__isnull=False)
            .distinct()
            .select_related("house__building")
            .prefetch_related("care_tags")
            .order_by("house__building__number", "house__unit", "house__number", "id")
        )
        today = timezone.localdate()
        people = [decorate(p, today) for p in cared[:LIST_LIMIT]]
        for person in people:
            person.tag_names = [care_tag_name(t) for t in person.care_tags.all()]
        context["cared"] = people
        return context


VISIT_OPERATIONS = {
    "update": (VisitUpdateForm, gettext_lazy("Details updated.")),
    "move_out": (LifeEventForm, gettext_lazy("Recorded as moved out.")),
    "death": (LifeEventForm, gettext_lazy("Recorded as deceased.")),
}


class PersonVisitView(FieldPageMixin, JurisdictionScopedMixin, DetailView):
    """Update a person after a visit (走访更新): contact and care tags, or a move out or a death,
    through grid/registry.py (history and audit included). Shown masked; reading is audited like
    the registry's person page, which the page links to for everything else."""

    jurisdiction_path = "grid__path"
    model = Person
    template_name = "field/person_visit.html"
    context_object_name = "person"
    tab = "visits"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("grid", "house__building", "household")
            .prefetch_related("care_tags")
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        registry.record_view(self.object, actor=request.user)
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        operation = request.POST.get("op", "")
        if operation not in VISIT_OPERATIONS:
            raise Http404
        if not grid_policies.can_edit_registry(request.user, person.grid):
            raise PermissionDenied(_("You may not change the registry of this grid."))
        form_class, done = VISIT_OPERATIONS[operation]
        form = form_class(request.POST, prefix=operation)
        if form.is_valid():
            try:
                self._apply(operation, person, form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("field-visit-person", args=[person.pk]))
        self.object = self.get_queryset().get(pk=person.pk)
        context = self.get_context_data(object=self.object, bound=(operation, form))
        return self.render_to_response(context, status=400)

    def _apply(self, operation: str, person: Person, data: dict) -> None:
        user = self.request.user
        if operation == "move_out":
            registry.move_out(person, actor=user, on=data["on"], note=data["note"])
        elif operation == "death":
            registry.record_death(person, actor=user, on=data["on"], note=data["note"])
        else:
            changes = {f: data[f] for f in ("occupation", "employer", "current_address")}
            if data["new_phone"].strip():
                changes["phone"] = data["new_phone"].strip()
            registry.update_person(person, actor=user, care_tags=list(data["care_tags"]), **changes)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = decorate(self.object)
        person.tag_names = [care_tag_name(t) for t in person.care_tags.all()]
        bound = kwargs.get("bound") or ("", None)
        initial = {
            "occupation": person.occupation,
            "employer": person.employer,
            "current_address": person.current_address,
            "care_tags": list(person.care_tags.all()),
        }
        context["forms"] = {
            name: bound[1]
            if bound[0] == name
            else form_class(prefix=name, initial=initial if name == "update" else None)
            for name, (form_class, _done) in VISIT_OPERATIONS.items()
        }
        context["open_form"] = bound[0]
        context["can_edit"] = grid_policies.can_edit_registry(self.request.user, person.grid)
        context["is_living"] = person.status == Person.Status.LIVING
        return context


# 消息 Messages


class InboxView(FieldPageMixin, ListView):
    """The signed-in user's notifications, newest first, 50 a page (keyset on id)."""

    jurisdiction_exempt = "the signed-in user's own inbox: rows are filtered to request.user"
    model = Notification
    template_name = "field/inbox.html"
    tab = "inbox"
    PAGE = 50

    def get_queryset(self):
        rows = Notification.objects.filter(user=self.request.user).select_related("case")
        before = self.request.GET.get("before", "")
        if before.isdecimal():
            rows = rows.filter(pk__lt=int(before))
        return rows.order_by("-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(self.object_list[: self.PAGE + 1])
        context["notifications"] = rows[: self.PAGE]
        context["next_before"] = rows[self.PAGE - 1].pk if len(rows) > self.PAGE else None
        context["paged"] = "before" in self.request.GET
        visible = set(
            cases_visible_to(self.request.user)
            .filter(pk__in={n.case_id for n in rows})
            .values_list("pk", flat=True)
        )
        context["visible_cases"] = visible
        return context


class MarkReadView(LoginRequiredMixin, View):
    """POST: mark the posted notification ids (or all) as read; others' ids change nothing."""

    jurisdiction_exempt = "changes only the signed-in user's own notifications"

    def post(self, request):
        if request.POST.get("all"):
            ids = None
        else:
            ids = [int(v) for v in request.POST.getlist("ids") if v.isdecimal()]
        notifications.mark_read(request.user, ids)
        target = request.POST.get("next", "")
        if target.isdecimal():
            return redirect("field-task", pk=int(target))
        return redirect("field-inbox")


# Installable and offline: the manifest and the service worker


def _icons() -> list[dict]:
    return [
        {"src": static("field/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("field/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("field/icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]


class ManifestView(View):
    """The web app manifest: installs the field app on a phone's home screen."""

    def get(self, request):
        data = {
            "id": reverse("field-home"),
            "name": _("Sanhua field app"),
            "short_name": _("Sanhua"),
            "description": _(
                "Report incidents, handle tasks and visit households, also without network."
            ),
            "lang": get_language(),
            "start_url": reverse("field-report"),
            "scope": reverse("field-home"),
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#f4f6f9",
            "theme_color": "#0d6efd",
            "icons": _icons(),
        }
        response = JsonResponse(
            data,
            content_type="application/manifest+json",
            json_dumps_params={"ensure_ascii": False},
        )
        response["Cache-Control"] = "no-cache"
        return response


# The app shell: what the service worker keeps so the field app opens with no network.
SHELL_STATIC = [
    "vendor/bootstrap-5.3.8/bootstrap.min.css",
    "vendor/idb-keyval-6.3.0/idb-keyval.umd.js",
    "field/field.css",
    "field/field.js",
    "field/outbox.js",
    # The report form's small map (static/maps/sanhua-map.js), drawn offline from the page.
    "vendor/leaflet-1.9.4/leaflet.js",
    "vendor/leaflet-1.9.4/leaflet.css",
    "vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
    "vendor/leaflet.markercluster-1.5.3/MarkerCluster.css",
    "vendor/leaflet.markercluster-1.5.3/MarkerCluster.Default.css",
    "maps/sanhua-map.js",
    "maps/sanhua-map.css",
    "js/sanhua.js",
    # Community services' visits and requests share the outbox (static/community/queue.js).
    "community/queue.js",
    "field/icons/icon-192.png",
    "field/icons/icon-512.png",
]
SHELL_PAGES = [
    "field-report",
    "field-tasks",
    "field-visits",
    "field-care",
    "field-care-request-new",
    "field-inbox",
    "field-offline",
]
CATEGORIES_URL = "/api/categories/?is_active=true"


def _shell_fingerprint(urls: tuple[str, ...]) -> str:
    """A hash of the shell's static files (their URLs and contents) and of the worker's own
    template: when any changes, /sw.js changes and browsers install the new worker."""
    digest = hashlib.sha256("\n".join(urls).encode())
    for path in SHELL_STATIC:
        found = finders.find(path)
        if found:
            with open(found, "rb") as handle:
                digest.update(handle.read())
    worker = finders.find("field/sw.js") or ""
    if worker:
        with open(worker, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


_cached_fingerprint = cache(_shell_fingerprint)


class ServiceWorkerView(View):
    """/sw.js, served from the site root so that its scope covers /field/ (a worker under
    /static/ could only control /static/). Never cached by HTTP caches: the browser must see a
    new version as soon as it is deployed."""

    def get(self, request):
        assets = [static(path) for path in SHELL_STATIC]
        pages = [reverse(name) for name in SHELL_PAGES] + [CATEGORIES_URL]
        fingerprint = (_shell_fingerprint if settings.DEBUG else _cached_fingerprint)(
            tuple(assets + pages)
        )
        worker = finders.find("field/sw.js")
        with open(worker, encoding="utf-8") as handle:
            source = handle.read()
        config = {
            "version": fingerprint,
            "assets": assets,
            "pages": pages,
            "offline": reverse("field-offline"),
            "fieldPrefix": reverse("field-home"),
            "staticPrefix": settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL,
            "cachedApi": ["/api/categories/"],
        }
        body = f"const SANHUA = {json.dumps(config)};\n{source}"
        response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        return response
