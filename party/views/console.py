"""Console pages of party building for community and street staff (and everyone above, read
only for supervisors): the organisation tree, an organisation with its committee, members,
statistics and activities, a member with their history, and coverage of linked households per
grid. Scoped like the API (JurisdictionScopedMixin), so a row outside is a 404; members are
masked and reading one is audited as a view of their person. Writes call party/services.py,
whose errors come back next to their field.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import Count, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

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
from party.views.forms import (
    ActivityForm,
    AdmitForm,
    ChildForm,
    CommitteeForm,
    StatusForm,
    TransferForm,
)

MEMBER_LIMIT = 200  # members listed on an organisation's page; the API pages through all
# 书记, then 副书记, then 委员.
SEAT_ORDER = DbCase(
    *(When(role=role, then=Value(rank)) for rank, role in enumerate(CommitteeSeat.Role.values)),
    output_field=IntegerField(),
)


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

    def get_context_data(self, forms_=None, **kwargs):
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
            .order_by(SEAT_ORDER, "id")
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
        forms_ = forms_ or {}
        if policies.can_record_activity(user, organisation):
            context["activity_form"] = forms_.get("activity") or ActivityForm(
                organisation=organisation, initial={"held_on": today}
            )
        if policies.can_manage_members(user, organisation):
            context["admit_form"] = forms_.get("admit") or AdmitForm(
                organisation=organisation, user=user, initial={"joined_on": today}
            )
            context["committee_form"] = forms_.get("committee") or CommitteeForm(
                organisation=organisation
            )
        if policies.can_manage_organisation(user, organisation.area):
            context["child_form"] = forms_.get("child") or ChildForm(organisation=organisation)
        return context

    def post(self, request, *args, **kwargs):
        self.object = organisation = self.get_object()
        operation = request.POST.get("operation")
        user = request.user
        allowed = {
            "activity": lambda: policies.can_record_activity(user, organisation),
            "admit": lambda: policies.can_manage_members(user, organisation),
            "committee": lambda: policies.can_manage_members(user, organisation),
            "child": lambda: policies.can_manage_organisation(user, organisation.area),
        }
        if operation not in allowed:
            raise Http404
        # The services check again; refusing first spares a form the user was never shown.
        policies.require(allowed[operation]())
        if operation == "activity":
            form = ActivityForm(request.POST, organisation=organisation)

            def write(data):
                attendees = list(data.pop("attendees"))
                services.record_activity(
                    actor=user, organisation=organisation, attendees=attendees, **data
                )

            done = _("The activity is recorded.")
        elif operation == "admit":
            form = AdmitForm(request.POST, organisation=organisation, user=user)

            def write(data):
                services.admit_member(actor=user, organisation=organisation, **data)

            done = _("The member is admitted.")
        elif operation == "committee":
            form = CommitteeForm(request.POST, organisation=organisation)

            def write(data):
                services.appoint_committee(organisation, actor=user, **data)

            done = _("The committee is appointed.")
        else:
            form = ChildForm(request.POST, organisation=organisation)

            def write(data):
                services.create_organisation(actor=user, parent=organisation, **data)

            done = _("The organisation is created.")
        return _submit(self, request, form, write, done, operation)


def _submit(view, request, form, write, done: str, operation: str):
    """Validate `form`, call `write` with its data, and go back to the page; or show the page
    again with the errors next to their fields (400), nothing written."""
    if form.is_valid():
        try:
            write(dict(form.cleaned_data))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, done)
            return HttpResponseRedirect(request.path)
    context = view.get_context_data(object=view.object, forms_={operation: form})
    return view.render_to_response(context, status=400)


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

    def get_context_data(self, forms_=None, **kwargs):
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
        user = self.request.user
        context["person_visible"] = restrict(
            Person.objects.filter(pk=member.person_id), user, path_field="grid__path"
        ).exists()
        if policies.can_manage_members(user, member.organisation):
            forms_ = forms_ or {}
            context["transfer_form"] = forms_.get("transfer") or TransferForm(
                member=member, user=user
            )
            context["status_form"] = forms_.get("status") or StatusForm(member=member)
        return context

    def post(self, request, *args, **kwargs):
        self.object = member = self.get_object()
        operation = request.POST.get("operation")
        user = request.user
        if operation not in ("transfer", "status"):
            raise Http404
        policies.require(policies.can_manage_members(user, member.organisation))
        if operation == "transfer":
            form = TransferForm(request.POST, member=member, user=user)

            def write(data):
                services.transfer_member(member, actor=user, **data)

            done = _("The member is transferred.")
        else:
            form = StatusForm(request.POST, member=member)

            def write(data):
                services.change_member_status(member, actor=user, **data)

            done = _("The member's status is changed.")
        return _submit(self, request, form, write, done, operation)


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
