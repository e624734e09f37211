"""API of the community resource registry (以房管人): buildings, houses, households and persons.

Thin, like the rest of grid/api: input serializers check shape, grid/policies.py decides who may
write, grid/registry.py does every write (and its history and audit), output serializers shape
the answer. Every queryset goes through JurisdictionScopedMixin on the rows' `grid`, so a row of
another grid is a 404 whatever the method.

Personal fields (ID number, phones) always leave masked (registry.masked). The full values come
only from POST /api/persons/{id}/reveal/, for a caller the policy allows, audited. An exact-ID
search is POST /api/persons/lookup/, so the number never lands in a URL or an access log.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import patch_cache_control
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from grid import codes, idnumbers, limits, policies, registry
from grid.api.scoping import DetailInScopeMixin
from grid.api.serializers import AreaBriefSerializer
from grid.jurisdiction import JurisdictionScopedMixin, areas_visible_to, restrict
from grid.models import (
    Area,
    AuditEntry,
    Building,
    House,
    Household,
    LifeEvent,
    Membership,
    Person,
    Residence,
    RevealPurpose,
)
from grid.registry_filtersets import (
    BuildingFilterSet,
    HouseFilterSet,
    HouseholdFilterSet,
    PersonFilterSet,
    age_on,
    code_language,
)
from grid.registry_views import building_layout


class RegistryCursorPagination(CursorPagination):
    """Keyset pagination by id: page 10,000 of a million persons costs what page 1 does."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# Output


def _label(table: str, code: str) -> str:
    return codes.label(table, code, code_language())


@extend_schema_field(OpenApiTypes.STR)
class CodeLabelField(serializers.Field):
    """The label of a code field in the request's language ("01" → 汉族 / Han)."""

    def __init__(self, table: str, **kwargs):
        self.table = table
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return _label(self.table, value)


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):
    """The label of a choice in the request's language (status "living" → 在册)."""

    # Not CharField(source="get_<field>_display"): DRF inspects a callable source's signature on
    # every row (half the time of a large building's layout), and a model field without choices
    # has no such method, so the label silently went missing.

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


@extend_schema_field(OpenApiTypes.STR)
class MaskedField(serializers.Field):
    """A personal field (id_number, phone, other_phone) as everyone sees it by default."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, person):
        return registry.masked(person)[self.field_name]


def _age(person) -> int | None:
    return age_on(person.birth_date, timezone.localdate())


class BuildingBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "number", "name", "address"]


class HouseBriefSerializer(serializers.ModelSerializer):
    building = BuildingBriefSerializer(read_only=True)

    class Meta:
        model = House
        fields = ["id", "building", "unit", "floor", "number"]


class HouseholdBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "number"]


class PersonBriefSerializer(serializers.ModelSerializer):
    """A person in someone else's list (household members, a room's occupants): masked."""

    sex_label = CodeLabelField("sex", source="sex")
    age = serializers.SerializerMethodField()
    id_number = MaskedField()
    phone = MaskedField()
    status_label = ChoiceLabelField(Person.Status.choices, source="status")

    class Meta:
        model = Person
        fields = ["id", "name", "sex", "sex_label", "age", "id_number", "phone", "status"]
        fields += ["status_label"]

    def get_age(self, person) -> int | None:
        return _age(person)


class CareTagSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, tag) -> str:
        return tag.name_en if code_language() == "en" else tag.name


class PersonSerializer(serializers.ModelSerializer):
    """A person, masked: codes with their labels, age, care tags, where they live now."""

    id_number = MaskedField()
    phone = MaskedField()
    other_phone = MaskedField()
    id_type_label = ChoiceLabelField(idnumbers.IdType.choices, source="id_type")
    sex_label = CodeLabelField("sex", source="sex")
    ethnicity_label = CodeLabelField("ethnicity", source="ethnicity")
    marital_status_label = CodeLabelField("marital_status", source="marital_status")
    political_status_label = CodeLabelField("political_status", source="political_status")
    education_label = CodeLabelField("education", source="education")
    religion_label = CodeLabelField("religion", source="religion")
    relation_to_head_label = CodeLabelField("relation_to_head", source="relation_to_head")
    population_type_label = ChoiceLabelField(
        Person.PopulationType.choices, source="population_type"
    )
    status_label = ChoiceLabelField(Person.Status.choices, source="status")
    age = serializers.SerializerMethodField()
    care_tags = CareTagSerializer(many=True, read_only=True)
    grid = AreaBriefSerializer(read_only=True)
    # Null once the person has moved out or died (and for a household without a house): the
    # schema must say so (tests/test_api_schema_nulls.py).
    house = HouseBriefSerializer(read_only=True, allow_null=True)
    household = HouseholdBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "former_name",
            "id_type",
            "id_type_label",
            "id_number",
            "sex",
            "sex_label",
            "birth_date",
            "age",
            "ethnicity",
            "ethnicity_label",
            "native_place",
            "marital_status",
            "marital_status_label",
            "political_status",
            "political_status_label",
            "education",
            "education_label",
            "religion",
            "religion_label",
            "occupation",
            "employer",
            "phone",
            "other_phone",
            "population_type",
            "population_type_label",
            "registered_address",
            "current_address",
            "is_separated",
            "care_tags",
            "status",
            "status_label",
            "grid",
            "house",
            "household",
            "relation_to_head",
            "relation_to_head_label",
            "updated_at",
        ]

    def get_age(self, person) -> int | None:
        return _age(person)


class MembershipSerializer(serializers.ModelSerializer):
    household = HouseholdBriefSerializer(read_only=True)
    relation_label = CodeLabelField("relation_to_head", source="relation")

    class Meta:
        model = Membership
        fields = ["id", "household", "relation", "relation_label", "started_on", "ended_on"]


class ResidenceSerializer(serializers.ModelSerializer):
    house = HouseBriefSerializer(read_only=True)

    class Meta:
        model = Residence
        fields = ["id", "house", "started_on", "ended_on"]


class LifeEventSerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField(LifeEvent.Kind.choices, source="kind")
    household = HouseholdBriefSerializer(read_only=True, allow_null=True)
    house = HouseBriefSerializer(read_only=True, allow_null=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = LifeEvent
        fields = ["id", "kind", "kind_label", "occurred_on", "household", "house", "note"]
        fields += ["actor", "recorded_at"]

    def get_actor(self, event) -> str:
        if event.actor is None:
            return ""
        return event.actor.get_full_name() or event.actor.get_username()


class PersonDetailSerializer(PersonSerializer):
    """A person with their history: households, houses and life events."""

    memberships = MembershipSerializer(many=True, read_only=True)
    residences = ResidenceSerializer(many=True, read_only=True)
    events = LifeEventSerializer(many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "created_at", "memberships", "residences"]
        fields += ["events"]


class RevealedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()
    phone = serializers.CharField()
    other_phone = serializers.CharField()


class BuildingSerializer(serializers.ModelSerializer):
    grid = AreaBriefSerializer(read_only=True)

    class Meta:
        model = Building
        fields = ["id", "grid", "number", "name", "address", "floors", "units", "lng", "lat"]
        fields += ["created_at", "updated_at"]


class HouseSerializer(serializers.ModelSerializer):
    building = BuildingBriefSerializer(read_only=True)
    use_label = ChoiceLabelField(House.Use.choices, source="use")
    owner_phone = serializers.SerializerMethodField()

    class Meta:
        model = House
        fields = ["id", "building", "grid", "unit", "floor", "number", "floor_area", "use"]
        fields += ["use_label", "owner_name", "owner_phone", "created_at", "updated_at"]

    def get_owner_phone(self, house) -> str:
        return idnumbers.mask_phone(house.owner_phone)


class OccupantSerializer(PersonBriefSerializer):
    relation_to_head_label = CodeLabelField("relation_to_head", source="relation_to_head")

    class Meta(PersonBriefSerializer.Meta):
        fields = [*PersonBriefSerializer.Meta.fields, "household", "relation_to_head"]
        fields += ["relation_to_head_label"]


class LayoutHouseSerializer(HouseSerializer):
    """A room of the building layout: the house with its current households and the people
    living there (masked)."""

    # building_layout() prefetched both lists: no query per room.
    households = HouseholdBriefSerializer(many=True, read_only=True)
    occupants = OccupantSerializer(many=True, read_only=True)

    class Meta(HouseSerializer.Meta):
        fields = [*HouseSerializer.Meta.fields, "households", "occupants"]


class LayoutFloorSerializer(serializers.Serializer):
    floor = serializers.IntegerField(source="number")
    houses = LayoutHouseSerializer(many=True)


class LayoutUnitSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="number")
    floors = LayoutFloorSerializer(many=True)


class BuildingLayoutSerializer(serializers.Serializer):
    """A building's units, each floor from the top down with its rooms."""

    # One serializer tree for the whole building, built once: a serializer built per room cost
    # seconds on the largest buildings.
    building = BuildingSerializer()
    units = LayoutUnitSerializer(many=True)


class HouseDetailSerializer(HouseSerializer):
    """A house with its current households and the people living there (masked)."""

    households = serializers.SerializerMethodField()
    occupants = serializers.SerializerMethodField()

    class Meta(HouseSerializer.Meta):
        fields = [*HouseSerializer.Meta.fields, "households", "occupants"]

    @extend_schema_field(HouseholdBriefSerializer(many=True))
    def get_households(self, house):
        return HouseholdBriefSerializer(house.households.all(), many=True).data

    @extend_schema_field(OccupantSerializer(many=True))
    def get_occupants(self, house):
        living = [p for p in house.occupants.all() if p.status == Person.Status.LIVING]
        return OccupantSerializer(living, many=True).data


class HouseholdSerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField(Household.Kind.choices, source="kind")
    grid = AreaBriefSerializer(read_only=True)
    house = HouseBriefSerializer(read_only=True, allow_null=True)
    head = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "number", "kind", "kind_label", "registered_address", "grid", "house"]
        fields += ["head", "created_at", "updated_at"]

    @extend_schema_field({"type": "object", "nullable": True})
    def get_head(self, household) -> dict | None:
        if household.head is None:
            return None
        return {"id": household.head.pk, "name": household.head.name}


class MemberSerializer(serializers.ModelSerializer):
    """A current member of a household, with the relation to its head."""

    person = PersonBriefSerializer(read_only=True)
    relation_label = CodeLabelField("relation_to_head", source="relation")

    class Meta:
        model = Membership
        fields = ["id", "person", "relation", "relation_label", "started_on"]


class MembershipHistorySerializer(serializers.ModelSerializer):
    person = serializers.SerializerMethodField()
    relation_label = CodeLabelField("relation_to_head", source="relation")

    class Meta:
        model = Membership
        fields = ["id", "person", "relation", "relation_label", "started_on", "ended_on"]

    @extend_schema_field({"type": "object"})
    def get_person(self, membership) -> dict:
        return {"id": membership.person_id, "name": membership.person.name}


class HouseholdDetailSerializer(HouseholdSerializer):
    """A household with its current members and everyone who ever belonged to it."""

    members = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members", "history"]

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, household):
        current = [m for m in household.memberships.all() if m.ended_on is None]
        current.sort(key=lambda m: (m.person_id != household.head_id, m.relation, m.person_id))
        return MemberSerializer(current, many=True).data

    @extend_schema_field(MembershipHistorySerializer(many=True))
    def get_history(self, household):
        return MembershipHistorySerializer(household.memberships.all(), many=True).data


# Input: shape only; the rules live in grid/registry.py and grid/policies.py


@extend_schema_field(OpenApiTypes.INT)
class ScopedRowField(serializers.PrimaryKeyRelatedField):
    """The id of a registry row the requesting user can see; any other id reads as
    nonexistent."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        return restrict(self.model.objects.all(), user, path_field="grid__path")


@extend_schema_field(OpenApiTypes.INT)
class VisibleAreaField(serializers.PrimaryKeyRelatedField):
    """An area id the requesting user can see; any other id reads as nonexistent."""

    def get_queryset(self):
        return areas_visible_to(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleGridField(VisibleAreaField):
    """The id of a grid (not a community or street) the requesting user can see."""

    def get_queryset(self):
        return super().get_queryset().filter(level=Area.Level.GRID)


def _char(model, name: str, **kwargs):
    """A text input as long as the model field allows, blank allowed."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=model._meta.get_field(name).max_length, **kwargs)


class BuildingCreateInput(serializers.Serializer):
    grid = VisibleAreaField()
    number = _char(Building, "number", required=True, allow_blank=False)
    name = _char(Building, "name")
    address = _char(Building, "address", required=True, allow_blank=False)
    floors = serializers.IntegerField(min_value=1, max_value=300, default=1)
    units = serializers.IntegerField(min_value=1, max_value=50, default=1)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)


class HouseCreateInput(serializers.Serializer):
    building = ScopedRowField(Building)
    unit = serializers.IntegerField(min_value=1, max_value=50, default=1)
    floor = serializers.IntegerField(min_value=-5, max_value=300)
    number = _char(House, "number", required=True, allow_blank=False)
    floor_area = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    use = serializers.ChoiceField(choices=House.Use.choices, default=House.Use.SELF_OCCUPIED)
    owner_name = _char(House, "owner_name")
    owner_phone = _char(House, "owner_phone")


class HouseholdCreateInput(serializers.Serializer):
    number = _char(Household, "number", required=True, allow_blank=False)
    kind = serializers.ChoiceField(choices=Household.Kind.choices, default=Household.Kind.FAMILY)
    registered_address = _char(Household, "registered_address")
    house = ScopedRowField(House, required=False, allow_null=True, default=None)
    grid = VisibleGridField(required=False, allow_null=True, default=None)


class PersonFieldsInput(serializers.Serializer):
    """The person's own fields (registry.PERSON_FIELDS) and care tags by code."""

    id_type = _char(Person, "id_type")
    id_number = _char(Person, "id_number")
    name = _char(Person, "name")
    former_name = _char(Person, "former_name")
    sex = _char(Person, "sex")
    birth_date = serializers.DateField(required=False, allow_null=True)
    ethnicity = _char(Person, "ethnicity")
    native_place = _char(Person, "native_place")
    marital_status = _char(Person, "marital_status")
    political_status = _char(Person, "political_status")
    education = _char(Person, "education")
    religion = _char(Person, "religion")
    occupation = _char(Person, "occupation")
    employer = _char(Person, "employer")
    phone = _char(Person, "phone")
    other_phone = _char(Person, "other_phone")
    population_type = _char(Person, "population_type")
    registered_address = _char(Person, "registered_address")
    current_address = _char(Person, "current_address")
    is_separated = serializers.BooleanField(required=False)
    care_tags = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=50
    )


class PersonCreateInput(PersonFieldsInput):
    house = ScopedRowField(House, required=False, allow_null=True, default=None)
    household = ScopedRowField(Household, required=False, allow_null=True, default=None)
    grid = VisibleGridField(required=False, allow_null=True, default=None)
    relation = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class BirthInput(PersonFieldsInput):
    relation = serializers.CharField(max_length=2)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class DatedNoteInput(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MoveToHouseholdInput(serializers.Serializer):
    household = ScopedRowField(Household)
    relation = serializers.CharField(max_length=2)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class MoveBackInInput(serializers.Serializer):
    house = ScopedRowField(House, required=False, allow_null=True, default=None)
    household = ScopedRowField(Household, required=False, allow_null=True, default=None)
    relation = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class ChangeHeadInput(serializers.Serializer):
    head = ScopedRowField(Person)
    former_head_relation = serializers.CharField(
        max_length=2, required=False, allow_blank=True, default=""
    )
    on = serializers.DateField(required=False, allow_null=True, default=None)


class RevealInput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=RevealPurpose.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LookupInput(serializers.Serializer):
    id_number = serializers.CharField(max_length=30)
    id_type = serializers.ChoiceField(
        choices=idnumbers.IdType.choices, default=idnumbers.IdType.RESIDENT
    )


# Views


class AllowanceUsedUp(APIException):
    """429: the account used up its hourly allowance of reveals (grid/limits.py); DRF sends
    `wait` as the Retry-After header."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "limit_reached"

    def __init__(self, refusal: limits.LimitReached):
        super().__init__(str(refusal))
        self.wait = refusal.retry_after


def _parse(serializer_class, request, **kwargs):
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _require_edit(user, *grids) -> None:
    """403 unless the user may change the registry of every grid given (None ones skipped)."""
    for grid in grids:
        if grid is not None and not policies.can_edit_registry(user, grid):
            raise PermissionDenied(_("You may not change the registry of this grid."))


def _without_none(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}


class RegistryViewSet(
    DetailInScopeMixin,
    JurisdictionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Registry rows are seen by the grid they belong to; lists are keyset-paginated by id."""

    jurisdiction_path = "grid__path"
    filter_backends = [DjangoFilterBackend]
    pagination_class = RegistryCursorPagination


class BuildingViewSet(mixins.CreateModelMixin, RegistryViewSet):
    """Buildings (楼栋) of the user's grids; `layout` shows floors × rooms with occupants."""

    queryset = Building.objects.select_related("grid")
    serializer_class = BuildingSerializer
    filterset_class = BuildingFilterSet

    @extend_schema(request=BuildingCreateInput, responses={201: BuildingSerializer})
    def create(self, request):
        data = _parse(BuildingCreateInput, request)
        _require_edit(request.user, data["grid"])
        building = registry.create_building(actor=request.user, **_without_none(data))
        return Response(BuildingSerializer(building).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: BuildingLayoutSerializer})
    @action(detail=True, methods=["get"])
    def layout(self, request, pk=None):
        """The building's units, each floor from the top down with its rooms, their current
        households and occupants (masked)."""
        building = self.get_object()
        layout = {"building": building, "units": building_layout(building)}
        return Response(BuildingLayoutSerializer(layout).data)


class HouseViewSet(mixins.CreateModelMixin, RegistryViewSet):
    """Houses and rooms (房屋); the detail lists the households and people living there."""

    queryset = House.objects.select_related("building")
    filterset_class = HouseFilterSet

    def get_serializer_class(self):
        return HouseDetailSerializer if self.action == "retrieve" else HouseSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("households", "occupants")
        return queryset

    @extend_schema(request=HouseCreateInput, responses={201: HouseSerializer})
    def create(self, request):
        data = _parse(HouseCreateInput, request)
        _require_edit(request.user, data["building"].grid)
        house = registry.create_house(actor=request.user, **_without_none(data))
        return Response(HouseSerializer(house).data, status=status.HTTP_201_CREATED)


class HouseholdViewSet(mixins.CreateModelMixin, RegistryViewSet):
    """Households (户): members with their relation to the head, and the membership history."""

    queryset = Household.objects.select_related("grid", "house__building", "head")
    filterset_class = HouseholdFilterSet

    def get_serializer_class(self):
        return HouseholdDetailSerializer if self.action == "retrieve" else HouseholdSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(_household_history())
        return queryset

    @extend_schema(request=HouseholdCreateInput, responses={201: HouseholdSerializer})
    def create(self, request):
        data = _parse(HouseholdCreateInput, request)
        house, grid = data["house"], data["grid"]
        _require_edit(request.user, house.grid if house else grid)
        household = registry.create_household(actor=request.user, **data)
        return Response(HouseholdSerializer(household).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeHeadInput, responses=HouseholdDetailSerializer)
    @action(detail=True, methods=["post"], url_path="change-head")
    def change_head(self, request, pk=None):
        """Make a member the head of household (变更户主)."""
        household = self.get_object()
        _require_edit(request.user, household.grid)
        data = _parse(ChangeHeadInput, request)
        registry.change_head(
            household,
            data["head"],
            actor=request.user,
            former_head_relation=data["former_head_relation"],
            on=data["on"],
        )
        household = self.queryset.prefetch_related(_household_history()).get(pk=household.pk)
        return Response(HouseholdDetailSerializer(household).data)

    @extend_schema(request=BirthInput, responses={201: PersonDetailSerializer})
    @action(detail=True, methods=["post"])
    def births(self, request, pk=None):
        """Register a child born into the household (出生登记)."""
        household = self.get_object()
        _require_edit(request.user, household.grid)
        data = _parse(BirthInput, request)
        tags = registry.care_tags_by_code(data.pop("care_tags", []))
        person = registry.register_birth(
            actor=request.user,
            household=household,
            relation=data.pop("relation"),
            on=data.pop("on") or timezone.localdate(),
            care_tags=tags,
            **data,
        )
        return Response(_person_detail(person), status=status.HTTP_201_CREATED)


def _household_history() -> Prefetch:
    members = Membership.objects.select_related("person").order_by("started_on", "id")
    return Prefetch("memberships", queryset=members)


def _person_queryset():
    return Person.objects.select_related("grid", "house__building", "household").prefetch_related(
        "care_tags"
    )


def _person_history() -> tuple[Prefetch, ...]:
    return (
        Prefetch("memberships", queryset=Membership.objects.select_related("household")),
        Prefetch("residences", queryset=Residence.objects.select_related("house__building")),
        Prefetch(
            "events",
            queryset=LifeEvent.objects.select_related("household", "house__building", "actor"),
        ),
    )


def _person_detail(person: Person) -> dict:
    """The person as the detail shows them, read afresh after a change."""
    person = _person_queryset().prefetch_related(*_person_history()).get(pk=person.pk)
    return PersonDetailSerializer(person).data


class PersonViewSet(mixins.CreateModelMixin, RegistryViewSet):
    """Persons (人) of the user's grids, masked; only those living here unless `status` is
    given. Reading one person is audited; `reveal` gives the full ID number and phones to those
    the policy allows, audited too; life events change where and with whom they live."""

    queryset = _person_queryset()
    filterset_class = PersonFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(*_person_history())
        return queryset

    def get_serializer_class(self):
        return PersonDetailSerializer if self.action == "retrieve" else PersonSerializer

    def retrieve(self, request, pk=None):
        person = self.get_object()
        registry.record_view(person, actor=request.user)
        return Response(PersonDetailSerializer(person).data)

    @extend_schema(request=PersonCreateInput, responses={201: PersonDetailSerializer})
    def create(self, request):
        data = _parse(PersonCreateInput, request)
        house, household, grid = data["house"], data["household"], data["grid"]
        _require_edit(
            request.user,
            house.grid if house else None,
            household.grid if household else None,
            grid if not (house or household) else None,
        )
        tags = registry.care_tags_by_code(data.pop("care_tags", []))
        person = registry.register_person(actor=request.user, care_tags=tags, **data)
        return Response(_person_detail(person), status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonFieldsInput, responses=PersonDetailSerializer)
    def partial_update(self, request, pk=None):
        person = self.get_object()
        _require_edit(request.user, person.grid)
        data = _parse(PersonFieldsInput, request, partial=True)
        codes_ = data.pop("care_tags", None)
        tags = registry.care_tags_by_code(codes_) if codes_ is not None else None
        registry.update_person(person, actor=request.user, care_tags=tags, **data)
        return Response(_person_detail(person))

    @extend_schema(
        request=RevealInput,
        responses={200: RevealedSerializer, 429: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full ID number and phones, for a caller the policy allows, with a purpose (and a
        reason in words, required for "other"); always audited, and refused with a 429 beyond
        the account's hourly allowance (SANHUA_REVEALS_PER_HOUR)."""
        person = self.get_object()
        if not policies.can_reveal_personal_data(request.user, person.grid):
            raise PermissionDenied(_("You may not see the full personal data of this person."))
        data = _parse(RevealInput, request)
        try:
            revealed = registry.reveal(
                person, actor=request.user, purpose=data["purpose"], reason=data["reason"]
            )
        except limits.LimitReached as exc:
            raise AllowanceUsedUp(exc) from None
        response = Response({"id": person.pk, **revealed})
        patch_cache_control(response, no_store=True)
        return response

    @extend_schema(request=LookupInput, responses=PersonSerializer(many=True))
    # A plain list, neither paginated nor filtered: the schema says so too.
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def lookup(self, request):
        """Persons in the user's jurisdiction (any status) with exactly this ID number, found
        through the keyed index. Posted, so the number stays out of URLs and access logs."""
        data = _parse(LookupInput, request)
        try:
            number = idnumbers.validate_id(data["id_type"], data["id_number"])
        except DjangoValidationError as exc:
            raise DjangoValidationError({"id_number": exc.messages}) from None
        found = list(
            restrict(registry.find_by_id_number(number), request.user, path_field="grid__path")
            .select_related("grid", "house__building", "household")
            .prefetch_related("care_tags")
        )
        for person in found:
            registry.audit(request.user, AuditEntry.Action.VIEW, person, detail="lookup")
        return Response(PersonSerializer(found, many=True).data)

    def _life_event(self, request, service, serializer_class, target_grids):
        person = self.get_object()
        _require_edit(request.user, person.grid)
        data = _parse(serializer_class, request)
        _require_edit(request.user, *target_grids(data))
        service(person, actor=request.user, **data)
        return Response(_person_detail(person))

    @extend_schema(request=DatedNoteInput, responses=PersonDetailSerializer)
    @action(detail=True, methods=["post"], url_path="move-out")
    def move_out(self, request, pk=None):
        """The person leaves the district's registry (迁出)."""
        return self._life_event(request, registry.move_out, DatedNoteInput, lambda d: ())

    @extend_schema(request=DatedNoteInput, responses=PersonDetailSerializer)
    @action(detail=True, methods=["post"])
    def death(self, request, pk=None):
        """Record the person's death (死亡)."""
        return self._life_event(request, registry.record_death, DatedNoteInput, lambda d: ())

    @extend_schema(request=MoveToHouseholdInput, responses=PersonDetailSerializer)
    @action(detail=True, methods=["post"], url_path="move-to-household")
    def move_to_household(self, request, pk=None):
        """The person joins another household (and its house)."""

        def move(person, *, actor, household, **data):
            return registry.move_to_household(person, household, actor=actor, **data)

        return self._life_event(
            request, move, MoveToHouseholdInput, lambda d: (d["household"].grid,)
        )

    @extend_schema(request=MoveBackInInput, responses=PersonDetailSerializer)
    @action(detail=True, methods=["post"], url_path="move-back-in")
    def move_back_in(self, request, pk=None):
        """A person who moved out registers again (迁回), keeping their history."""

        def grids(data):
            house, household = data["house"], data["household"]
            return (house.grid if house else None, household.grid if household else None)

        return self._life_event(request, registry.move_back_in, MoveBackInInput, grids)
