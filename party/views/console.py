"""Console pages of party building for community and street staff (and everyone above, read
only for supervisors): the organisation tree, an organisation with its committee, members,
statistics and activities, a member with their history, and coverage of linked households per
grid. Scoped like the API (JurisdictionScopedMixin), so a row outside is a 404; members are
masked and reading one is audited as a view of their person. Writes call party/services.py,
whose errors come back next to their field.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView

from governance.forms import bootstrap_classes
from grid import registry
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import Area, Person
from grid.registry_views import decorate
from party import policies, selectors, services
from party.models import (
    Activity,
    CommitteeSeat,
    HouseholdLink,
    Member,
    MemberEvent,
    Organisation,
    Visit,
)

MEMBER_LIMIT = 200  # members listed on an organisation's page; the API pages through all


class OrganisationTreeView(LoginRequiredMixin, JurisdictionScopedMixin, ListView):
    """Every organisation the user can see, as a tree in path order, with its member count."""

    jurisdiction_path = "area__path"
    jurisdiction_department = "department"
    model = Organisation
    template_name = "party/tree.html"
    context_object_name = "organisations"

    def get_queryset(self):
        living = Q(members__person__status=Person.Status.LIVING)
        return (
            super()
            .get_queryset()
            .select_related("area", "department")
            .annotate(member_count=Count("members", filter=living))
            .order_by("path")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisations = list(context["organisations"])
        # Indent by depth below the highest organisation shown (a grid worker's tree starts at
        # their grid's branch, not at the street's committee).
        top = min((o.path.count("/") for o in organisations), default=0)
        for organisation in organisations:
            organisation.depth = organisation.path.count("/") - top
        context["organisations"] = organisations
        return context


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=Activity.Kind.choices)
    title = forms.CharField(label=gettext_lazy("title"), max_length=100)
    held_on = forms.DateField(
        label=gettext_lazy("held on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    hours = forms.DecimalField(
        label=gettext_lazy("hours"), max_digits=4, decimal_places=1, min_value=0
    )
    location = forms.CharField(label=gettext_lazy("location"), max_length=100, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=gettext_lazy("attendees"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = (
            Member.objects.filter(
                organisation__path__startswith=organisation.path,
                person__status=Person.Status.LIVING,
            )
            .select_related("person")
            .order_by("person__name")
        )
        self.fields["attendees"].label_from_instance = lambda m: m.person.name
        bootstrap_classes(self.fields.values())


class OrganisationDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """An organisation: where it is attached, its committee, the organisations below, its
    members (masked), this year's statistics and its latest activities; a form to record an
    activity for those the policy allows."""

    jurisdiction_path = "area__path"
    jurisdiction_department = "department"
    model = Organisation
    template_name = "party/organisation.html"
    context_object_name = "organisation"

    def get_queryset(self):
        return super().get_queryset().select_related("area", "department", "parent")

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        user = self.request.user
        context["parent_visible"] = (
            organisation.parent
            and restrict(Organisation.objects.filter(pk=organisation.parent_id), user,
                         path_field="area__path", department_field="department").exists()
        )  # fmt: skip
        context["children"] = organisation.children.order_by("name")
        context["committee"] = (
            organisation.committee_seats.filter(ended_on__isnull=True)
            .select_related("member__person")
            .order_by("role", "id")
        )
        members = list(
            organisation.members.select_related("person").order_by("person__name", "id")[
                :MEMBER_LIMIT
            ]
        )
        today = timezone.localdate()
        for member in members:
            decorate(member.person, today)
        context["members"] = members
        context["statistics"] = selectors.organisation_statistics(organisation)
        context["activities"] = (
            Activity.objects.filter(organisation__path__startswith=organisation.path)
            .select_related("organisation")
            .annotate(attendee_count=Count("attendances"))
            .order_by("-held_on", "-id")[:20]
        )
        context["may_record_activity"] = policies.can_record_activity(user, organisation)
        if context["may_record_activity"]:
            context["form"] = form or ActivityForm(
                organisation=organisation, initial={"held_on": today}
            )
        return context

    def post(self, request, *args, **kwargs):
        self.object = organisation = self.get_object()
        if not policies.can_record_activity(request.user, organisation):
            raise PermissionDenied
        form = ActivityForm(request.POST, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_activity(
                    actor=request.user,
                    organisation=organisation,
                    kind=data["kind"],
                    title=data["title"],
                    held_on=data["held_on"],
                    hours=data["hours"],
                    location=data["location"],
                    attendees=list(data["attendees"]),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The activity is recorded."))
                return HttpResponseRedirect(reverse("party-organisation", args=[organisation.pk]))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MemberDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """A member: their person (masked; the registry's person page reveals, audited), their
    registry status (a death or a move out shows here), history, linked households and
    visits. Reading it is audited as a view of the person."""

    jurisdiction_path = "organisation__area__path"
    jurisdiction_department = "organisation__department"
    model = Member
    template_name = "party/member.html"
    context_object_name = "member"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("person__grid", "person__household", "organisation", "work_grid")
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=MemberEvent.objects.select_related(
                        "from_organisation", "to_organisation", "actor"
                    ),
                ),
                Prefetch(
                    "links",
                    queryset=HouseholdLink.objects.select_related("household").order_by(
                        "ended_on", "-started_on"
                    ),
                ),
                Prefetch(
                    "committee_seats",
                    queryset=CommitteeSeat.objects.select_related("organisation"),
                ),
            )
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        registry.record_view(self.object.person, actor=request.user)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.object
        decorate(member.person)
        status_labels = dict(Member.Status.choices)
        for event in member.events.all():
            event.from_status_label = status_labels.get(event.from_status, "")
            event.to_status_label = status_labels.get(event.to_status, "")
        context["visits"] = (
            Visit.objects.filter(member=member)
            .select_related("household")
            .order_by("-created_at")[:20]
        )
        context["person_visible"] = restrict(
            Person.objects.filter(pk=member.person_id), self.request.user, path_field="grid__path"
        ).exists()
        return context


class CoverageView(LoginRequiredMixin, JurisdictionScopedMixin, ListView):
    """Coverage of linked households (党员联系户) per grid in the user's jurisdiction: occupied
    households, those linked with a party member, the share, and the party members living there;
    with the total of all grids shown."""

    jurisdiction_path = "path"
    model = Area
    template_name = "party/coverage.html"
    context_object_name = "grids"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(level=Area.Level.GRID)
            .select_related("parent__parent")
            .order_by("code")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = selectors.coverage_by_grid(context["grids"])
        households = sum(r.households for r in rows)
        linked = sum(r.linked for r in rows)
        context["rows"] = rows
        context["total"] = selectors.Coverage(
            None, households, linked, sum(r.members for r in rows)
        )
        context["per_member"] = services.households_per_member()
        return context
