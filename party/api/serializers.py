"""Party building on the wire. Output serializers are `<Model>Serializer`; inputs are
`<Model><Action>Input` and check shape only (ids the caller can see, lengths, types): the rules
live in party/services.py. A member's person leaves masked, like everywhere in the registry."""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grid.api.registry import (
    ChoiceLabelField,
    HouseholdBriefSerializer,
    PersonBriefSerializer,
    ScopedRowField,
    VisibleAreaField,
    VisibleGridField,
)
from grid.api.serializers import AreaBriefSerializer
from grid.jurisdiction import restrict
from grid.models import Department, Household, Person
from party.models import (
    Activity,
    CommitteeSeat,
    HouseholdLink,
    Member,
    MemberEvent,
    Organisation,
    Visit,
)

# Output


class OrganisationBriefSerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField(Organisation.Kind.choices, source="kind")

    class Meta:
        model = Organisation
        fields = ["id", "kind", "kind_label", "name"]


class PartyDepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class PartyMemberBriefSerializer(serializers.ModelSerializer):
    """A member in someone else's list: their person masked, the registry status beside."""

    person = PersonBriefSerializer(read_only=True)
    status_label = ChoiceLabelField(Member.Status.choices, source="status")

    class Meta:
        model = Member
        fields = ["id", "person", "status", "status_label"]


class CommitteeSeatSerializer(serializers.ModelSerializer):
    member = PartyMemberBriefSerializer(read_only=True)
    role_label = ChoiceLabelField(CommitteeSeat.Role.choices, source="role")

    class Meta:
        model = CommitteeSeat
        fields = ["id", "member", "role", "role_label", "started_on", "ended_on"]


class OrganisationSerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField(Organisation.Kind.choices, source="kind")
    area = AreaBriefSerializer(read_only=True)
    department = PartyDepartmentSerializer(read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "kind", "kind_label", "name", "parent", "path", "area", "department"]


class OrganisationDetailSerializer(OrganisationSerializer):
    """An organisation with its committee now and before, and the organisations below it."""

    committee = serializers.SerializerMethodField()
    children = OrganisationBriefSerializer(many=True, read_only=True)

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "committee", "children", "created_at"]

    @extend_schema_field(CommitteeSeatSerializer(many=True))
    def get_committee(self, organisation):
        seats = organisation.committee_seats.select_related("member__person").order_by(
            F("ended_on").desc(nulls_first=True), "id"
        )
        return CommitteeSeatSerializer(seats, many=True).data


class MemberEventSerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField(MemberEvent.Kind.choices, source="kind")
    from_organisation = OrganisationBriefSerializer(read_only=True)
    to_organisation = OrganisationBriefSerializer(read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = MemberEvent
        fields = ["id", "kind", "kind_label", "occurred_on", "from_organisation"]
        fields += ["to_organisation", "from_status", "to_status", "note", "actor", "recorded_at"]

    def get_actor(self, event) -> str:
        if event.actor is None:
            return ""
        return event.actor.get_full_name() or event.actor.get_username()


class PartyMemberSerializer(serializers.ModelSerializer):
    """A member: the person (masked, with their registry status: a death or a move out shows
    here), organisation, status, where they live and work."""

    person = PersonBriefSerializer(read_only=True)
    organisation = OrganisationBriefSerializer(read_only=True)
    status_label = ChoiceLabelField(Member.Status.choices, source="status")
    person_status = serializers.CharField(source="person.status", read_only=True)
    person_status_label = ChoiceLabelField(Person.Status.choices, source="person.status")
    grid = AreaBriefSerializer(source="person.grid", read_only=True)
    work_grid = AreaBriefSerializer(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "person", "person_status", "person_status_label", "organisation"]
        fields += ["status", "status_label", "joined_on", "grid", "work_grid"]


class LinkBriefSerializer(serializers.ModelSerializer):
    household = HouseholdBriefSerializer(read_only=True)

    class Meta:
        model = HouseholdLink
        fields = ["id", "household", "started_on", "ended_on"]


class PartyMemberDetailSerializer(PartyMemberSerializer):
    """A member with their history (admission, transfers, status changes) and the households
    they link with, now and before."""

    events = MemberEventSerializer(many=True, read_only=True)
    links = LinkBriefSerializer(many=True, read_only=True)

    class Meta(PartyMemberSerializer.Meta):
        fields = [*PartyMemberSerializer.Meta.fields, "events", "links"]


class HouseholdLinkSerializer(serializers.ModelSerializer):
    member = PartyMemberBriefSerializer(read_only=True)
    household = HouseholdBriefSerializer(read_only=True)
    grid = AreaBriefSerializer(read_only=True)

    class Meta:
        model = HouseholdLink
        fields = ["id", "member", "household", "grid", "started_on", "ended_on"]


class VisitSerializer(serializers.ModelSerializer):
    member = PartyMemberBriefSerializer(read_only=True)
    household = HouseholdBriefSerializer(read_only=True)
    grid = AreaBriefSerializer(read_only=True)
    status_label = ChoiceLabelField(Visit.Status.choices, source="status")

    class Meta:
        model = Visit
        fields = ["id", "link", "member", "household", "grid", "status", "status_label"]
        fields += ["planned_on", "visited_at", "notes", "version", "created_at"]


class ActivitySerializer(serializers.ModelSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)
    kind_label = ChoiceLabelField(Activity.Kind.choices, source="kind")
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "organisation", "kind", "kind_label", "title", "held_on", "location"]
        fields += ["hours", "notes", "attendees", "created_at"]

    @extend_schema_field(PartyMemberBriefSerializer(many=True))
    def get_attendees(self, activity):
        members = [a.member for a in activity.attendances.all()]
        return PartyMemberBriefSerializer(members, many=True).data


class StatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    members = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    activities = serializers.IntegerField()
    meetings = serializers.IntegerField()
    volunteer_activities = serializers.IntegerField()
    volunteer_hours = serializers.DecimalField(max_digits=10, decimal_places=1)
    households_linked = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    grid = AreaBriefSerializer(source="area")
    households = serializers.IntegerField()
    linked = serializers.IntegerField()
    members = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


# Input: ids the caller can see; any other id reads as nonexistent


@extend_schema_field(OpenApiTypes.INT)
class VisibleRowField(serializers.PrimaryKeyRelatedField):
    """The id of a party row the requesting user can see (by the path of `path_field`)."""

    def __init__(self, model, path_field: str, **kwargs):
        self.model, self.path_field = model, path_field
        super().__init__(**kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        return restrict(self.model.objects.all(), user, path_field=self.path_field)


def _organisation(**kwargs):
    return VisibleRowField(Organisation, "area__path", **kwargs)


def _member(**kwargs):
    return VisibleRowField(Member, "organisation__area__path", **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class VisibleDepartmentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        user = self.context["request"].user
        return restrict(
            Department.objects.all(), user, path_field="area__path", department_field="pk"
        )


class OrganisationCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    name = serializers.CharField(max_length=100)
    parent = _organisation(required=False, allow_null=True, default=None)
    area = VisibleAreaField(required=False, allow_null=True, default=None)
    department = VisibleDepartmentField(required=False, allow_null=True, default=None)


class CommitteeInput(serializers.Serializer):
    secretary = _member(allow_null=True)
    deputies = serializers.ListField(child=_member(), required=False, default=list, max_length=5)
    committee = serializers.ListField(child=_member(), required=False, default=list, max_length=20)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class MemberCreateInput(serializers.Serializer):
    person = ScopedRowField(Person)
    organisation = _organisation()
    status = serializers.ChoiceField(choices=Member.Status.choices)
    joined_on = serializers.DateField()
    work_grid = VisibleGridField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TransferInput(serializers.Serializer):
    to = _organisation()
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Member.Status.choices)
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LinkCreateInput(serializers.Serializer):
    member = _member()
    household = ScopedRowField(Household)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class LinkEndInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)


class VisitCreateInput(serializers.Serializer):
    """A visit done now (give `notes`), or one planned for a day (give `planned_on`)."""

    link = VisibleRowField(HouseholdLink, "grid__path")
    planned_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    visited_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, data):
        if data["planned_on"] is None and not data["notes"].strip():
            raise serializers.ValidationError(
                {"notes": [_("Say what the visit found, or give the day it is planned for.")]}
            )
        return data


class VisitCompleteInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    notes = serializers.CharField(max_length=2000)
    visited_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ActivityCreateInput(serializers.Serializer):
    organisation = _organisation()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    title = serializers.CharField(max_length=100)
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    attendees = serializers.ListField(child=_member(), required=False, default=list, max_length=500)
