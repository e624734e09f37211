"""The field app's page of linked households (党员联系户) for grid workers, mobile first: the
party members of my grids with the households each links with, the visits planned and done,
a form to record a visit (or complete a planned one: compare-and-set, so of two workers
completing the same visit one wins and the other is told), and a form to link a household with
a member. Everything reads through the user's jurisdiction and writes through
party/services.py.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from cases.field_views import FieldPageMixin
from governance.forms import bootstrap_classes
from grid.jurisdiction import JurisdictionScopedMixin, areas_visible_to, restrict
from grid.models import Area, Person
from party import selectors, services
from party.exceptions import VisitConflict
from party.models import HouseholdLink, Member, Visit

LIST_LIMIT = 200
GRIDS_SHOWN = 20  # a grid worker has one or two; staff above find every grid on the console


class VisitForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("What did the visit find?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())


class PlanForm(forms.Form):
    planned_on = forms.DateField(
        label=gettext_lazy("Plan a visit on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())

    def clean_planned_on(self):
        day = self.cleaned_data["planned_on"]
        if day < timezone.localdate():
            raise ValidationError(_("The day has passed."))
        return day


class LinkForm(forms.Form):
    member = forms.ModelChoiceField(label=gettext_lazy("Party member"), queryset=None)
    household = forms.ModelChoiceField(label=gettext_lazy("Household"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        members = restrict(
            Member.objects.filter(person__status=Person.Status.LIVING),
            user,
            path_field="person__grid__path",
        )
        self.fields["member"].queryset = members.select_related("person").order_by("person__name")
        self.fields["member"].label_from_instance = lambda m: m.person.name
        unlinked = restrict(selectors.occupied_households(), user, path_field="grid__path").exclude(
            pk__in=selectors.current_links().values("household_id")
        )
        self.fields["household"].queryset = unlinked.select_related("head").order_by("number")
        self.fields["household"].label_from_instance = lambda h: (
            f"{h.number} · {h.head.name}" if h.head else h.number
        )
        bootstrap_classes(self.fields.values())


class LinkedHouseholdsView(FieldPageMixin, JurisdictionScopedMixin, ListView):
    """Current links of my grids, by member, with their visits."""

    jurisdiction_path = "grid__path"
    model = HouseholdLink
    template_name = "party/field.html"
    context_object_name = "links"
    tab = "visits"

    def get_queryset(self):
        visits = Visit.objects.exclude(status=Visit.Status.CANCELLED).order_by("-created_at")
        return (
            super()
            .get_queryset()
            .filter(ended_on__isnull=True)
            .select_related("member__person", "household__head", "household__house__building")
            .prefetch_related(Prefetch("visits", queryset=visits))
            .order_by("member__person__name", "household__number")[:LIST_LIMIT]
        )

    def get_context_data(self, visit_forms=None, link_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        visit_forms = visit_forms or {}
        for link in context["links"]:
            visits = list(link.visits.all())
            link.planned = [v for v in visits if v.status == Visit.Status.PLANNED]
            link.done = [v for v in visits if v.status == Visit.Status.DONE][:3]
            link.form = visit_forms.get(link.pk) or VisitForm(prefix=f"link{link.pk}")
            link.plan_form = PlanForm(prefix=f"plan{link.pk}")
            # The registry's word on the member: one who died or moved out links with nobody.
            link.member_gone = link.member.person.status != Person.Status.LIVING
        context["link_form"] = link_form or LinkForm(user=self.request.user)
        grids = areas_visible_to(self.request.user).filter(level=Area.Level.GRID)
        context["coverage"] = selectors.coverage_by_grid(grids.order_by("code")[:GRIDS_SHOWN])
        return context

    def post(self, request, *args, **kwargs):
        self.object_list = self.get_queryset()
        operation = request.POST.get("operation")
        if operation == "link":
            return self._link(request)
        if operation in ("record", "complete"):
            return self._visit(request, operation)
        if operation in ("plan", "end"):
            return self._plan_or_end(request, operation)
        raise Http404

    def _open_link(self, request) -> HouseholdLink:
        links = restrict(HouseholdLink.objects.all(), request.user, path_field="grid__path")
        try:
            return links.get(pk=int(request.POST.get("link", "")), ended_on__isnull=True)
        except (ValueError, HouseholdLink.DoesNotExist):
            raise Http404 from None

    def _plan_or_end(self, request, operation):
        link = self._open_link(request)
        try:
            if operation == "end":
                services.end_link(link, actor=request.user)
                return self._done(_("The link is ended; the household may be linked anew."))
            form = PlanForm(request.POST, prefix=f"plan{link.pk}")
            if form.is_valid():
                services.plan_visit(
                    actor=request.user, link=link, planned_on=form.cleaned_data["planned_on"]
                )
                return self._done(_("The visit is planned."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return self._again(400)

    def _done(self, message):
        messages.success(self.request, message)
        return HttpResponseRedirect(reverse("field-party"))

    def _again(self, status, **forms_):
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(**forms_), status=status)

    def _link(self, request):
        form = LinkForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.link_household(
                    actor=request.user,
                    member=form.cleaned_data["member"],
                    household=form.cleaned_data["household"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return self._done(_("The household is linked."))
        return self._again(400, link_form=form)

    def _visit(self, request, operation):
        link = self._open_link(request)
        form = VisitForm(request.POST, prefix=f"link{link.pk}")
        if not form.is_valid():
            return self._again(400, visit_forms={link.pk: form})
        notes = form.cleaned_data["notes"]
        try:
            if operation == "record":
                services.record_visit(actor=request.user, link=link, notes=notes)
            else:
                visit = Visit.objects.filter(link=link).get(pk=int(request.POST.get("visit", "")))
                version = int(request.POST.get("version", ""))
                services.complete_visit(visit, actor=request.user, version=version, notes=notes)
        except (ValueError, Visit.DoesNotExist):
            raise Http404 from None
        except PermissionDenied:
            raise
        except VisitConflict:
            messages.error(
                request, _("Someone else completed or cancelled this visit first; reload it.")
            )
            return self._again(409)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self._again(400, visit_forms={link.pk: form})
        return self._done(_("The visit is recorded."))
