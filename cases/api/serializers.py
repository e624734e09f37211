"""Shapes of cases, their history, dispatches, categories and notifications on the wire.

Output serializers are `<Model>Serializer`; inputs are `<Step>Input` and only check shape and
that every id (or code) named is one the user can see: the rules live in cases/services.py.
Status and role fields go out as their values (enums in the schema) with a `_label` beside
them; accounts as a PersonReference, areas as an AreaReference, departments as a
DepartmentReference.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from cases import cards, limits, policies
from cases.filtersets import cases_visible_to, find_category, visible_case_ids
from cases.forms import category_label, choice_labels
from cases.models import (
    Callback,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Dispatch,
    Notification,
    Supervision,
    Urgency,
)
from cases.photos import MAX_PHOTOS_PER_STEP
from cases.services import DISPATCH_MOVES
from cases.workflow import ACTION_LABELS, SYSTEM_ACTIONS, TRANSITIONS
from grid.api.fields import IdOrCodeField
from grid.api.serializers import AreaBriefSerializer, DepartmentBriefSerializer
from grid.jurisdiction import areas_visible_to, restrict
from grid.models import Area, Building, Department, Household, Person

LEVEL_LABELS = dict(Area.Level.choices)
# The names the schema gives as enums (governance/settings.py ENUM_NAME_OVERRIDES names them):
# the steps of a case's history, the steps people take on a case (each a POST
# /api/cases/{id}/{step}/) and on a dispatch, and what a notification is about.
EVENT_ACTIONS = list(ACTION_LABELS)
CASE_STEPS = policies.step_names([a for a in TRANSITIONS if a not in SYSTEM_ACTIONS])
DISPATCH_STEPS = list(DISPATCH_MOVES)
NOTIFICATION_ACTIONS = [*EVENT_ACTIONS, "personal_data_limit"]


def _name_of(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


# Output


class CategoryBriefSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en", "label"]

    def get_label(self, category) -> str:
        """The name in the request's language."""
        return category_label(category)


class StageHoursSerializer(serializers.Serializer):
    """Working hours each stage may take at one level."""

    accept = serializers.FloatField(required=False, help_text="Hours to accept")
    handle = serializers.FloatField(required=False, help_text="Hours to handle")


@extend_schema_field(
    serializers.DictField(
        child=StageHoursSerializer(),
        help_text='Working hours per stage, keyed by the level\'s value ("1" district … '
        '"4" grid); a level left out uses the defaults.',
    )
)
class TimeLimitsField(serializers.JSONField):
    pass


class CategorySerializer(CategoryBriefSerializer):
    """A category with its place in the tree and its routing defaults."""

    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    parent_code = serializers.CharField(
        source="parent.code", default=None, read_only=True, allow_null=True
    )
    is_main = serializers.SerializerMethodField()
    # Plain integers: the level choices already have their one name (LevelEnum) in the schema.
    start_level = serializers.IntegerField(read_only=True)
    start_level_label = serializers.SerializerMethodField()
    time_limits = TimeLimitsField(read_only=True)
    lead_department = DepartmentBriefSerializer(read_only=True, allow_null=True)
    cooperating_departments = DepartmentBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            *CategoryBriefSerializer.Meta.fields,
            "parent",
            "parent_code",
            "is_main",
            "start_level",
            "start_level_label",
            "grid_may_self_resolve",
            "time_limits",
            "lead_department",
            "cooperating_departments",
            "is_active",
        ]

    def get_is_main(self, category) -> bool:
        return category.parent_id is None

    def get_start_level_label(self, category) -> str:
        return str(LEVEL_LABELS[category.start_level])


class PersonReferenceSerializer(serializers.Serializer):
    """An account that did something: its id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(PersonReferenceSerializer)
class PersonNameField(serializers.Field):
    """Who did it: {"id", "name"}, or null for the system (the sweeper)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, user):
        return {"id": user.pk, "name": _name_of(user)}


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.Field):
    """The label of a choice, in the request's language: `choices` a choices class, `source`
    the field with the value. `source="get_status_display"` cost a list of fifty cases a fifth
    of its time: Django rebuilds the field's choices on every call, and DRF inspects the
    method's signature on every row before calling it."""

    def __init__(self, choices, **kwargs):
        super().__init__(read_only=True, **kwargs)
        self.choices = choices

    def to_representation(self, value):
        return choice_labels(self.choices).get(value, value)


class CaseSerializer(serializers.ModelSerializer):
    """A case in a list."""

    category = CategoryBriefSerializer(read_only=True)
    status = serializers.ChoiceField(Case.Status.choices, read_only=True)
    status_label = LabelField(Case.Status, source="status")
    urgency_label = LabelField(Urgency, source="urgency")
    source_label = LabelField(Case.Source, source="source")
    level_label = LabelField(Area.Level, source="level")
    grid = AreaBriefSerializer(read_only=True)
    holder = AreaBriefSerializer(read_only=True)
    reporter = PersonNameField(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "category",
            "urgency",
            "urgency_label",
            "source",
            "source_label",
            "status",
            "status_label",
            "level",
            "level_label",
            "holder",
            "grid",
            "address",
            "lng",
            "lat",
            "due_at",
            "is_overdue",
            "rework_count",
            "escalation_count",
            "urge_count",
            "reporter",
            "reported_at",
            "closed_at",
            "version",
        ]


class CaseEventDataSerializer(serializers.Serializer):
    """What a step of the history records besides its reason; which keys depend on the step."""

    start_level = serializers.IntegerField(required=False, help_text="report: where it started")
    notify_all_levels = serializers.BooleanField(required=False, help_text="report")
    possible_duplicates = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="report: ids of cases nearby that may be the same (those you may see)",
    )
    duplicate_of = serializers.IntegerField(
        required=False, allow_null=True, help_text="reject: the original, if you may see it"
    )
    lead = serializers.IntegerField(required=False, help_text="dispatch: the lead department")
    cooperating = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="dispatch: the others"
    )
    dispatch = serializers.IntegerField(required=False, help_text="dispatch_*: the dispatch")
    department = serializers.IntegerField(required=False, help_text="dispatch_*: its department")
    role = serializers.ChoiceField(Dispatch.Role.choices, required=False)
    satisfaction = serializers.IntegerField(required=False, help_text="callback: 1 to 5")


@extend_schema_field(CaseEventDataSerializer)
class EventDataField(serializers.JSONField):
    """The event's data as stored: the schema names the keys the steps write."""


class CaseEventSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(EVENT_ACTIONS, read_only=True)
    actor = PersonNameField(allow_null=True)
    from_status = serializers.ChoiceField(Case.Status.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(Case.Status.choices, read_only=True)
    data = EventDataField(read_only=True)
    action_label = serializers.SerializerMethodField()
    from_status_label = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()
    from_level_label = serializers.SerializerMethodField()
    to_level_label = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "version",
            "action",
            "action_label",
            "actor",
            "at",
            "from_status",
            "from_status_label",
            "to_status",
            "to_status_label",
            "from_level",
            "from_level_label",
            "to_level",
            "to_level_label",
            "from_holder",
            "to_holder",
            "reason",
            "data",
        ]

    def get_action_label(self, event) -> str:
        return str(ACTION_LABELS.get(event.action, event.action))

    def _status(self, value: str) -> str:
        return str(Case.Status(value).label) if value else ""

    def get_from_status_label(self, event) -> str:
        return self._status(event.from_status)

    def get_to_status_label(self, event) -> str:
        return self._status(event.to_status)

    def get_from_level_label(self, event) -> str:
        return str(LEVEL_LABELS[event.from_level]) if event.from_level else ""

    def get_to_level_label(self, event) -> str:
        return str(LEVEL_LABELS[event.to_level])


class CasePhotoSerializer(serializers.ModelSerializer):
    """A photo of the case. `image` and `thumbnail` are URLs of the API that show the file to
    those who see the case (no public media URL serves photos)."""

    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "event", "image", "thumbnail", "created_at"]

    def _url(self, name: str, photo) -> str:
        url = reverse(name, kwargs={"pk": photo.case_id, "photo_id": photo.pk})
        return self.context["request"].build_absolute_uri(url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, photo) -> str:
        return self._url("case-photo", photo)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_thumbnail(self, photo) -> str | None:
        return self._url("case-photo-thumbnail", photo) if photo.thumbnail else None


class CaseBriefSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(Case.Status.choices, read_only=True)
    status_label = LabelField(Case.Status, source="status")

    class Meta:
        model = Case
        fields = ["id", "number", "title", "status", "status_label", "level", "version"]


class DispatchSerializer(serializers.ModelSerializer):
    """A dispatch, with the steps the requesting user may take on it now."""

    department = DepartmentBriefSerializer(read_only=True)
    role = serializers.ChoiceField(Dispatch.Role.choices, read_only=True)
    role_label = LabelField(Dispatch.Role, source="role")
    status = serializers.ChoiceField(Dispatch.Status.choices, read_only=True)
    status_label = LabelField(Dispatch.Status, source="status")
    dispatched_by = PersonNameField(allow_null=True)
    remaining_seconds = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="While the case is suspended: the seconds left on this dispatch's clock, "
        "which restarts from them when the case resumes; null otherwise.",
    )
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "department",
            "role",
            "role_label",
            "status",
            "status_label",
            "version",
            "instructions",
            "due_at",
            "remaining_seconds",
            "is_overdue",
            "extension_until",
            "extension_reason",
            "refusal_reason",
            "result",
            "dispatched_by",
            "dispatched_at",
            "signed_at",
            "done_at",
            "closed_at",
            "closure_reason",
            "allowed_actions",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(DISPATCH_STEPS)))
    def get_allowed_actions(self, dispatch) -> list[str]:
        return policies.dispatch_actions_for(self.context["request"].user, dispatch)


class GridReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CardLocationSerializer(serializers.Serializer):
    """Where the case is: the reported point, or the grid's centre (`exact` false)."""

    lng = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    exact = serializers.BooleanField(help_text="false: no point was reported, the grid's centre")
    grid = GridReferenceSerializer()
    address = serializers.CharField(allow_blank=True)


class CardDeadlinesSerializer(serializers.Serializer):
    dispatch_due_at = serializers.DateTimeField()
    case_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The case's deadline: its stage's, or while dispatched the lead dispatch's",
    )
    remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Seconds to the dispatch's deadline: negative when late, frozen while the "
        "case is suspended, null once the dispatch is no longer open",
    )
    is_overdue = serializers.BooleanField()
    paused = serializers.BooleanField(help_text="The case is suspended: the clock stands")


class CardHistoryStepSerializer(serializers.Serializer):
    """A step of the case as a department reads it: the unit that took it (an area, or the
    department a dispatch step concerns), never a person; no reason of a report or callback."""

    at = serializers.DateTimeField()
    action = serializers.ChoiceField(EVENT_ACTIONS)
    label = serializers.CharField()
    status = serializers.ChoiceField(Case.Status.choices)
    status_label = serializers.CharField()
    level_label = serializers.CharField()
    unit = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


class DispatchWithCaseSerializer(DispatchSerializer):
    """A dispatch in a department's list: with its case and the task card — the case's
    description, photos, location, deadlines and history (cases/cards.py)."""

    case = CaseBriefSerializer(read_only=True)
    description = serializers.CharField(source="case.description", read_only=True)
    photos = CasePhotoSerializer(source="case.photos", many=True, read_only=True)
    location = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(DispatchSerializer.Meta):
        fields = [
            "id",
            "case",
            *DispatchSerializer.Meta.fields[1:],
            "description",
            "photos",
            "location",
            "deadlines",
            "history",
        ]

    @extend_schema_field(CardLocationSerializer)
    def get_location(self, dispatch) -> dict:
        return cards.location(dispatch.case)

    @extend_schema_field(CardDeadlinesSerializer)
    def get_deadlines(self, dispatch) -> dict:
        now = self.context.setdefault("now", timezone.now())
        return CardDeadlinesSerializer(cards.deadlines(dispatch, now)).data

    @extend_schema_field(CardHistoryStepSerializer(many=True))
    def get_history(self, dispatch) -> list[dict]:
        return CardHistoryStepSerializer(cards.history(dispatch.case), many=True).data


class SupervisionSerializer(serializers.ModelSerializer):
    by = PersonNameField(allow_null=True)
    level_label = LabelField(Area.Level, source="level")

    class Meta:
        model = Supervision
        fields = ["id", "by", "reason", "is_automatic", "level", "level_label", "created_at"]


class CallbackSerializer(serializers.ModelSerializer):
    by = PersonNameField(allow_null=True)

    class Meta:
        model = Callback
        fields = ["id", "by", "satisfaction", "comment", "created_at"]


class CaseFiledSerializer(CaseSerializer):
    """The answer to a filing: the case as a list shows it, from the row just written (no
    read back), with its photos and the links to follow (its detail, its page).

    The API answers with `filed_case_body`, the same dictionary built directly: building this
    serializer's fields took a fifth of a filing's CPU. This class is its schema, and the test
    of `filed_case_body` (tests/cases/test_filing_speed.py) holds the two equal."""

    photos = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "client_id", "photos", "links"]

    @extend_schema_field(CasePhotoSerializer(many=True))
    def get_photos(self, case) -> list:
        return [_photo_body(photo, self.context["request"]) for photo in _filed_photos(case)]

    @extend_schema_field(
        inline_serializer(
            "CaseLinks", {"self": serializers.URLField(), "page": serializers.URLField()}
        )
    )
    def get_links(self, case) -> dict:
        return _links(case, self.context["request"])


def _filed_photos(case) -> list:
    photos = getattr(case, "filed_photos", None)
    return list(case.photos.all()) if photos is None else photos  # None: a repeat's first case


def _photo_body(photo, request) -> dict:
    url = request.build_absolute_uri(
        reverse("case-photo", kwargs={"pk": photo.case_id, "photo_id": photo.pk})
    )
    return {
        "id": photo.pk,
        "event": photo.event_id,
        "image": url,
        "thumbnail": request.build_absolute_uri(
            reverse("case-photo-thumbnail", kwargs={"pk": photo.case_id, "photo_id": photo.pk})
        )
        if photo.thumbnail
        else None,
        "created_at": _moment(photo.created_at),
    }


def _links(case, request) -> dict:
    return {
        "self": request.build_absolute_uri(reverse("case-detail", kwargs={"pk": case.pk})),
        "page": request.build_absolute_uri(reverse("console-case", kwargs={"pk": case.pk})),
    }


def _moment(value) -> str | None:
    """A datetime as DRF writes it: local time, ISO 8601."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _area_body(area) -> dict:
    return {"id": area.pk, "level": area.level, "code": area.code, "name": area.name}


def filed_case_body(case, request) -> dict:
    """CaseFiledSerializer(case).data, built directly (see there)."""
    category = case.category
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "category": {
            "id": category.pk,
            "code": category.code,
            "name": category.name,
            "name_en": category.name_en,
            "label": category_label(category),
        },
        "urgency": case.urgency,
        "urgency_label": case.get_urgency_display(),
        "source": case.source,
        "source_label": case.get_source_display(),
        "status": case.status,
        "status_label": case.get_status_display(),
        "level": case.level,
        "level_label": case.get_level_display(),
        "holder": _area_body(case.holder),
        "grid": _area_body(case.grid),
        "address": case.address,
        "lng": case.lng,
        "lat": case.lat,
        "due_at": _moment(case.due_at),
        "is_overdue": case.is_overdue,
        "rework_count": case.rework_count,
        "escalation_count": case.escalation_count,
        "urge_count": case.urge_count,
        "reporter": {"id": case.reporter.pk, "name": _name_of(case.reporter)}
        if case.reporter_id
        else None,
        "reported_at": _moment(case.reported_at),
        "closed_at": _moment(case.closed_at),
        "version": case.version,
        "client_id": str(case.client_id) if case.client_id else None,
        "photos": [_photo_body(photo, request) for photo in _filed_photos(case)],
        "links": _links(case, request),
    }


class CaseDetailSerializer(CaseSerializer):
    """A case with its history, photos, dispatches, supervision, callbacks and the actions the
    requesting user may take on it now (each the name of a POST /api/cases/{id}/{action}/)."""

    events = CaseEventSerializer(many=True, read_only=True)
    photos = CasePhotoSerializer(many=True, read_only=True)
    dispatches = DispatchSerializer(many=True, read_only=True)
    supervisions = SupervisionSerializer(many=True, read_only=True)
    callbacks = CallbackSerializer(many=True, read_only=True)
    closed_level = serializers.IntegerField(read_only=True, allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "resolution",
            "satisfaction",
            "duplicate_of",
            "client_id",
            "buildings",
            "households",
            "persons",
            "accepted_at",
            "dispatched_at",
            "resolved_at",
            "closed_level",
            "allowed_actions",
            "events",
            "photos",
            "dispatches",
            "supervisions",
            "callbacks",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(CASE_STEPS)))
    def get_allowed_actions(self, case) -> list[str]:
        user = self.context["request"].user
        return policies.step_names(policies.case_actions_for(user, case))

    def to_representation(self, case):
        """The case, without the ids of other cases it names that the reader may not see."""
        data = super().to_representation(case)
        events = data["events"]
        named = {data["duplicate_of"]}
        for event in events:
            named.add((event["data"] or {}).get("duplicate_of"))
            named.update((event["data"] or {}).get("possible_duplicates", []))
        seen = visible_case_ids(self.context["request"].user, named)
        if data["duplicate_of"] not in seen:
            data["duplicate_of"] = None
        for event in events:
            extra = event["data"] or {}
            if "duplicate_of" in extra or "possible_duplicates" in extra:
                # A copy: the event's own data is the model's, read by others after this.
                extra = dict(extra)
                if extra.get("duplicate_of") not in seen:
                    extra["duplicate_of"] = None
                if "possible_duplicates" in extra:
                    extra["possible_duplicates"] = [
                        pk for pk in extra["possible_duplicates"] if pk in seen
                    ]
                event["data"] = extra
        return data


class NotificationSerializer(serializers.ModelSerializer):
    """A notification: of a case event (`case`, `event`, `action` the step), or of an account
    over its hourly allowance of personal data (no case nor event; `action`
    "personal_data_limit")."""

    case = CaseBriefSerializer(read_only=True, allow_null=True)
    action = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "case", "event", "action", "text", "created_at", "read_at", "is_read"]

    @extend_schema_field(serializers.ChoiceField(NOTIFICATION_ACTIONS))
    def get_action(self, notification) -> str:
        return notification.event.action if notification.event_id else "personal_data_limit"

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


# Input


@extend_schema_field(OpenApiTypes.INT)
class _Scoped(serializers.PrimaryKeyRelatedField):
    """An id of a row the requesting user can see; any other id reads as nonexistent."""

    def __init__(self, queryset_of, **kwargs):
        self.queryset_of = queryset_of
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.queryset_of(self.context["request"].user)


def _registry_rows(model):
    return lambda user: restrict(model.objects.all(), user, path_field="grid__path")


def category_field(**kwargs):
    """A category by its code or id."""
    return IdOrCodeField(
        find=find_category,
        error_messages={"unknown": gettext_lazy("No category has the code or id “{value}”.")},
        **kwargs,
    )


def _department(**kwargs):
    # Any department: the category table names them to everyone, and who may dispatch where
    # is the policy's and the service's call.
    return IdOrCodeField(
        rows=lambda user: Department.objects.all(),
        error_messages={"unknown": gettext_lazy("No department has the code or id “{value}”.")},
        **kwargs,
    )


def _photos(*, required: bool = False, message: str = ""):
    """Photos of a step (multipart/form-data only); `required` ones need at least one."""
    if not required:
        return serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            max_length=MAX_PHOTOS_PER_STEP,
        )
    return serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        max_length=MAX_PHOTOS_PER_STEP,
        error_messages={"required": message, "min_length": message, "empty": message},
    )


def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


def _required_text(message, **kwargs):
    """Text a step cannot do without: missing, empty or only spaces is `message`, as the
    service would say (the schema says required, at least one character)."""
    return serializers.CharField(
        error_messages={"required": message, "blank": message, "null": message}, **kwargs
    )


class StepInput(serializers.Serializer):
    """Every step may say which version of the case (or dispatch) the client read."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("The version you read; a newer one on the server gives a 409."),
    )


class CaseReportInput(serializers.Serializer):
    category = category_field(help_text=gettext_lazy("Subcategory code or id"))
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    source = serializers.ChoiceField(choices=Case.Source.choices, default=Case.Source.PATROL)
    title = serializers.CharField(max_length=limits.TITLE)
    description = _text(max_length=limits.DESCRIPTION)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    grid = IdOrCodeField(
        rows=areas_visible_to,
        required=False,
        allow_null=True,
        error_messages={
            "unknown": gettext_lazy("No area you can see has the code or id “{value}”.")
        },
        help_text=gettext_lazy("The grid's id or code; found from lng/lat when left out"),
    )
    address = _text(max_length=limits.ADDRESS)
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Made by the client once per report; a retry returns the first case."
        ),
    )
    buildings = _Scoped(_registry_rows(Building), many=True, required=False)
    households = _Scoped(_registry_rows(Household), many=True, required=False)
    persons = _Scoped(_registry_rows(Person), many=True, required=False)
    photos = _photos()

    def validate(self, data):
        if (data.get("lng") is None) != (data.get("lat") is None):
            missing = "lat" if data.get("lat") is None else "lng"
            raise serializers.ValidationError({missing: [_("Give both longitude and latitude.")]})
        return data


class ReasonInput(StepInput):
    reason = _required_text(gettext_lazy("Give a reason."), max_length=limits.REASON)


class RejectInput(ReasonInput):
    duplicate_of = _Scoped(cases_visible_to, required=False, allow_null=True, default=None)


class ReturnDownInput(ReasonInput):
    to_level = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The level to send it to (default: one level down)"),
    )


class ResultInput(StepInput):
    result = _required_text(gettext_lazy("Describe what was done."), max_length=limits.RESULT)
    photos = _photos()


class SelfResolveInput(StepInput):
    result = _text(max_length=limits.RESULT)
    photos = _photos(required=True, message=gettext_lazy("Attach a photo of the result."))


class DoneInput(ResultInput):
    go_ahead_reason = _text(
        max_length=limits.REASON,
        help_text=gettext_lazy(
            "Lead only: why the case may resolve while cooperating departments have not "
            "reported; their dispatches are then closed with the case."
        ),
    )


class YesOrNoField(serializers.BooleanField):
    """A yes or no that must be given: a form post without it is missing (a 400), not HTML's
    unticked checkbox (False)."""

    default_empty_html = empty


class VerifyInput(StepInput):
    passed = YesOrNoField(
        error_messages={"required": gettext_lazy("Say whether the check passed.")},
        help_text=gettext_lazy("true closes the case; false sends it back (give a note why)"),
    )
    note = _text(
        max_length=limits.NOTE,
        help_text=gettext_lazy("Required when the check failed: what is still wrong"),
    )
    photos = _photos(required=True, message=gettext_lazy("Attach a photo taken on site."))


class DispatchInput(StepInput):
    lead = _department(help_text=gettext_lazy("The lead department's id or code"))
    cooperating = serializers.ListField(
        child=_department(),
        required=False,
        default=list,
        help_text=gettext_lazy("The cooperating departments' ids or codes"),
    )
    instructions = _text(max_length=limits.INSTRUCTIONS)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CallbackInput(StepInput):
    satisfaction = serializers.IntegerField(
        min_value=1,
        max_value=5,
        error_messages={
            "min_value": gettext_lazy("Rate from 1 to 5."),
            "max_value": gettext_lazy("Rate from 1 to 5."),
        },
        help_text=gettext_lazy("1 (worst) to 5 (best)"),
    )
    comment = _text(max_length=limits.COMMENT)
    reopen_if_unsatisfied = serializers.BooleanField(default=False)


class ExtensionInput(StepInput):
    until = serializers.DateTimeField()
    reason = _required_text(gettext_lazy("Give a reason."), max_length=limits.REASON)


class ExtensionDecisionInput(StepInput):
    approve = YesOrNoField(
        error_messages={"required": gettext_lazy("Say whether the extension is approved.")}
    )


class MarkReadInput(serializers.Serializer):
    # Bounded like the id column, so an absurd id is a 400, not a database error.
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )
    all = serializers.BooleanField(default=False)

    def validate(self, data):
        if not data.get("all") and not data.get("ids"):
            raise serializers.ValidationError(
                {"ids": [_("Give the ids to mark as read, or all=true.")]}
            )
        return data
