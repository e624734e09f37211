"""Shapes of community services on the wire. Outputs are `<Model>Serializer`; inputs are
`<Step>Input` and only check shape and that every id named is one the user can see (others
read as nonexistent): the rules live in community/services.py. Personal data goes out masked,
as everywhere (ID numbers and phones); the registry's audited reveal is the only way to more.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import (
    CaseBriefSerializer,
    PersonNameField,
    StepInput,
    _photos,
    _registry_rows,
    _Scoped,
    _text,
    category_field,
)
from cases.models import Urgency
from community import policies
from community.models import (
    CareVisit,
    Service,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestPhoto,
    VisitSchedule,
)
from community.workflow import ACTION_LABELS
from grid.api.serializers import AreaBriefSerializer
from grid.idnumbers import mask_phone
from grid.jurisdiction import areas_visible_to
from grid.models import Household, Person
from grid.registry_views import care_tag_name

STATUS_LABELS = dict(ServiceRequest.Status.choices)


def service_label(service: Service) -> str:
    return service.label


class ServiceSerializer(serializers.ModelSerializer):
    """A service of the catalogue."""

    label = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    documents = serializers.ListField(
        source="document_list", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "label",
            "description",
            "department",
            "documents",
            "time_limit_days",
            "at_home",
            "is_active",
        ]

    def get_label(self, service) -> str:
        return service_label(service)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_department(self, service) -> str | None:
        """The owning department's name; null when the resident's community handles it."""
        return service.department.name if service.department_id else None


class ServiceBriefSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = ["id", "code", "label"]

    def get_label(self, service) -> str:
        return service_label(service)


class ResidentSerializer(serializers.ModelSerializer):
    """A registered person as community services show them: name, masked phone, address."""

    masked_phone = serializers.SerializerMethodField()
    building = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "masked_phone", "current_address", "building"]

    def get_masked_phone(self, person) -> str:
        return mask_phone(person.phone)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_building(self, person) -> str | None:
        return person.house.building.number if person.house_id else None


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A request in a list."""

    service = ServiceBriefSerializer(read_only=True)
    grid = AreaBriefSerializer(read_only=True)
    person = ResidentSerializer(read_only=True, allow_null=True)
    household = serializers.SerializerMethodField()
    walk_in_phone = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    assignee = PersonNameField(allow_null=True)
    recorded_by = PersonNameField(allow_null=True)
    case = CaseBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "number",
            "service",
            "channel",
            "channel_label",
            "grid",
            "person",
            "household",
            "walk_in_name",
            "walk_in_phone",
            "description",
            "address",
            "status",
            "status_label",
            "due_at",
            "is_overdue",
            "assignee",
            "appointment_at",
            "result",
            "decline_reason",
            "satisfaction",
            "case",
            "visit",
            "recorded_by",
            "received_at",
            "accepted_at",
            "closed_at",
            "version",
        ]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_household(self, request) -> str | None:
        return request.household.number if request.household_id else None

    def get_walk_in_phone(self, request) -> str:
        """Masked: first 3 and last 4 digits."""
        return mask_phone(request.walk_in_phone)


class ServiceRequestEventSerializer(serializers.ModelSerializer):
    actor = PersonNameField(allow_null=True)
    action_label = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequestEvent
        fields = [
            "id",
            "version",
            "action",
            "action_label",
            "actor",
            "at",
            "from_status",
            "to_status",
            "to_status_label",
            "reason",
            "data",
        ]

    def get_action_label(self, event) -> str:
        return str(ACTION_LABELS.get(event.action, event.action))

    def get_to_status_label(self, event) -> str:
        return str(STATUS_LABELS.get(event.to_status, event.to_status))


class ServiceRequestPhotoSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequestPhoto
        fields = ["id", "event", "image", "thumbnail", "created_at"]

    def _url(self, name: str, photo) -> str:
        url = reverse(name, kwargs={"pk": photo.request_id, "photo_id": photo.pk})
        return self.context["request"].build_absolute_uri(url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, photo) -> str:
        return self._url("service-request-photo", photo)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_thumbnail(self, photo) -> str | None:
        return self._url("service-request-photo-thumbnail", photo) if photo.thumbnail else None


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    """A request with its history, photos and the steps the caller may take now."""

    events = ServiceRequestEventSerializer(many=True, read_only=True)
    photos = ServiceRequestPhotoSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "events", "photos", "allowed_actions"]

    def get_allowed_actions(self, request) -> list[str]:
        return policies.request_actions_for(self.context["request"].user, request)


class VisitScheduleSerializer(serializers.ModelSerializer):
    """Who is due a visit and when; `overdue` when the date has passed."""

    person = ResidentSerializer(read_only=True)
    care_tags = serializers.SerializerMethodField()
    grid = AreaBriefSerializer(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = VisitSchedule
        fields = [
            "id",
            "person",
            "care_tags",
            "grid",
            "every_days",
            "next_visit_on",
            "overdue",
            "last_visited_at",
            "version",
        ]

    def get_care_tags(self, schedule) -> list[str]:
        return [care_tag_name(tag) for tag in schedule.person.care_tags.all()]

    def get_overdue(self, schedule) -> bool:
        return schedule.next_visit_on < self.context["today"]


class CareVisitSerializer(serializers.ModelSerializer):
    person = ResidentSerializer(read_only=True)
    grid = AreaBriefSerializer(read_only=True)
    visitor = PersonNameField()
    requests = serializers.SerializerMethodField()

    class Meta:
        model = CareVisit
        fields = [
            "id",
            "person",
            "grid",
            "visitor",
            "visited_at",
            "checked_in",
            "distance_m",
            "findings",
            "due_on",
            "requests",
            "created_at",
        ]

    def get_requests(self, visit) -> list[str]:
        """Numbers of the service requests the visit raised."""
        return [r.number for r in visit.service_requests.all()]


# Input


def _assignees(user):
    """Users holding a post in one of the caller's areas."""
    areas = areas_visible_to(user)
    return (
        get_user_model()
        .objects.filter(is_active=True, posts__is_active=True, posts__area__in=areas)
        .distinct()
    )


class ServiceInputField(serializers.Field):
    """A service by code ("social_insurance") or id."""

    default_error_messages = {"unknown": gettext_lazy("No service has the code or id “{value}”.")}

    def to_internal_value(self, data):
        text = str(data).strip()
        service = Service.objects.filter(code=text).first()
        if service is None and text.isascii() and text.isdecimal():
            service = Service.objects.filter(pk=int(text)).first()
        if service is None:
            self.fail("unknown", value=data)
        return service

    def to_representation(self, service):
        return service.code


ServiceInputField = extend_schema_field(OpenApiTypes.STR)(ServiceInputField)


class ServiceRequestInput(serializers.Serializer):
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Made by the client once per request; a retry returns the first request."
        ),
    )
    service = ServiceInputField(help_text=gettext_lazy("Service code or id"))
    channel = serializers.ChoiceField(
        choices=ServiceRequest.Channel.choices, default=ServiceRequest.Channel.FIELD
    )
    grid = _Scoped(areas_visible_to, required=False, allow_null=True, default=None)
    person = _Scoped(_registry_rows(Person), required=False, allow_null=True, default=None)
    household = _Scoped(_registry_rows(Household), required=False, allow_null=True, default=None)
    walk_in_name = _text(max_length=60)
    walk_in_phone = _text(max_length=30)
    description = _text()
    address = _text(max_length=200)
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    photos = _photos()


class AssignInput(StepInput):
    assignee = _Scoped(_assignees, required=False, allow_null=True, default=None)
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CompleteInput(StepInput):
    result = _text()
    satisfaction = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=5
    )
    photos = _photos()


class DeclineInput(StepInput):
    reason = _text()


class RateInput(StepInput):
    satisfaction = serializers.IntegerField(
        min_value=1, max_value=5, help_text=gettext_lazy("1 (worst) to 5 (best)")
    )
    comment = _text()


class ConvertInput(StepInput):
    category = category_field(help_text=gettext_lazy("Case subcategory code or id"))
    title = serializers.CharField(max_length=120)
    description = _text()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)


class CareVisitInput(serializers.Serializer):
    client_id = serializers.UUIDField(required=False, allow_null=True)
    person = _Scoped(_registry_rows(Person))
    findings = _text()
    visited_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    schedule_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=gettext_lazy(
            "The schedule version you read; if another visit was recorded since: 409."
        ),
    )
    need_service = ServiceInputField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A need raised at the visit becomes a request of this service"),
    )
    need_description = _text()
    photos = _photos()

    def validate(self, data):
        if (data.get("lng") is None) != (data.get("lat") is None):
            missing = "lat" if data.get("lat") is None else "lng"
            raise serializers.ValidationError({missing: [_("Give both longitude and latitude.")]})
        return data
