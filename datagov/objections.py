"""Objections (数据异议): anyone who may read a registry record says what is wrong with it; the
owner of its area corrects it or rejects the objection with a reason.

    raise_objection ──▶ open ──┬─ resolve_by_correction ─▶ corrected  (the registry's own
                               │                                       service writes the change
                               │                                       and its history)
                               └─ reject(reason) ────────▶ rejected

Who (jurisdiction as everywhere, out of scope is 404):
- raise: whoever can read the record, i.e. whose jurisdiction covers its grid (the registry's
  pages answer the same rule);
- see: whoever's jurisdiction covers the objection's grid (supervisors included);
- resolve or reject: community staff (and administrators) whose post covers the grid — the
  owners of the area's data. Anyone else who sees it gets a 403.

A correction never writes a registry field here: it calls grid/registry.py (update_person,
move_out, record_death, update_details), which writes the LifeEvent and AuditEntry; the
objection keeps a link to them. Each function is one transaction and takes the objection's row
lock first, so a second resolution of the same objection finds it closed (ObjectionClosed, a
409) and writes nothing.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Max, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from datagov.models import Objection
from grid import registry
from grid.jurisdiction import covers_with_role, restrict
from grid.models import Area, AuditEntry, Building, House, Household, LifeEvent, Person, Post

RESOLVER_ROLES = (Post.Role.COMMUNITY_STAFF, Post.Role.ADMIN)
TEXT_MAX = 500
MODELS = {
    Objection.RecordType.PERSON: Person,
    Objection.RecordType.HOUSEHOLD: Household,
    Objection.RecordType.HOUSE: House,
    Objection.RecordType.BUILDING: Building,
}
# A person's fields an objection's correction may change: the registry's own (registry.update_person
# checks the values), but not the identity, the phones and the religion, which have their own
# audited ways, nor whether the person lives apart from the household, which the life events
# change. In the model's order, so forms list them as the person's page does.
NOT_BY_OBJECTION = {"id_type", "id_number", "phone", "other_phone", "religion", "is_separated"}
PERSON_CORRECTIONS = tuple(
    field.name
    for field in Person._meta.fields
    if field.name in registry.PERSON_FIELDS and field.name not in NOT_BY_OBJECTION
)
UPDATE, MOVE_OUT, DEATH = "update", "move_out", "death"
CORRECTIONS = {
    Objection.RecordType.PERSON: (UPDATE, MOVE_OUT, DEATH),
    Objection.RecordType.HOUSEHOLD: (UPDATE,),
    Objection.RecordType.HOUSE: (UPDATE,),
    Objection.RecordType.BUILDING: (UPDATE,),
}


class ObjectionClosed(Exception):
    """The objection was resolved (or rejected) already, perhaps a moment ago by someone else."""

    def __init__(self, status: str):
        self.status = status
        super().__init__(f"objection already {status}")


def correctable_fields(record_type: str) -> tuple[str, ...]:
    if record_type == Objection.RecordType.PERSON:
        return PERSON_CORRECTIONS
    return registry.DETAIL_FIELDS[MODELS[record_type]]


def objection_fields(record_type: str) -> list[str]:
    """The field names an objection against this kind of record may name."""
    model = MODELS[record_type]
    return [
        field.name
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and field.editable and not field.primary_key
    ]


# Reads


def objections_visible_to(user) -> QuerySet[Objection]:
    return restrict(Objection.objects.all(), user, path_field="grid__path")


def visible_record(user, record_type: str, record_id) -> Person | Household | House | Building:
    """The record, if the user may read it (the registry's own rule: its grid in their
    jurisdiction); otherwise Http404, as for a record that does not exist."""
    model = MODELS.get(record_type)
    if model is None:
        raise Http404
    try:
        return restrict(model.objects.select_related("grid"), user, path_field="grid__path").get(
            pk=record_id
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def resolver_paths(user) -> tuple[str, ...] | None:
    """The paths of the areas whose objections `user` resolves (one query); None for a
    superuser, who resolves everywhere."""
    if not user.is_authenticated:
        return ()
    if user.is_superuser:
        return None
    rows = Post.objects.filter(user=user, is_active=True, role__in=RESOLVER_ROLES)
    return tuple(path for path in rows.values_list("area__path", flat=True) if path)


ASK = object()


def can_resolve(user, objection: Objection, paths=ASK) -> bool:
    """Whether `user` resolves this objection: community staff (or an administrator) whose post
    covers its grid. `paths` from resolver_paths() spares the query when asking for many."""
    if paths is ASK:
        return covers_with_role(user, objection.grid, RESOLVER_ROLES)
    return paths is None or any(objection.grid.path.startswith(path) for path in paths)


def owners_first(queryset: QuerySet[Objection], user) -> QuerySet[Objection]:
    """Open objections the user resolves first, then the rest; newest first within each."""
    paths = resolver_paths(user)
    if paths == ():
        return queryset.order_by("-id")
    mine = Q()
    if paths is not None:
        mine = Q(pk__in=[])
        for path in paths:
            mine |= Q(grid__path__startswith=path)
    return queryset.annotate(
        theirs=Case(When(mine & Q(status=Objection.Status.OPEN), then=0), default=1)
    ).order_by("theirs", "-id")


def open_per_grid(area: Area) -> list[dict]:
    """Open objections of each grid in `area` (a grid, or any area above grids): rows of
    {"grid", "grid__code", "grid__name", "open"}, most first; grids without any are left out.
    One query (a GROUP BY on the grid/status index)."""
    return list(
        Objection.objects.filter(status=Objection.Status.OPEN, grid__path__startswith=area.path)
        .values("grid", "grid__code", "grid__name")
        .annotate(open=Count("id"))
        .order_by("-open", "grid__code")
    )


def open_count(area: Area) -> int:
    return Objection.objects.filter(
        status=Objection.Status.OPEN, grid__path__startswith=area.path
    ).count()


# Writes


def _text(value: str | None, field: str, message: str, errors: dict) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = [message]
    elif len(value) > TEXT_MAX:
        errors[field] = [_("At most %(n)s characters.") % {"n": TEXT_MAX}]
    return value


@transaction.atomic
def raise_objection(*, actor, record, kind: str, text: str, fields=()) -> Objection:
    """An objection against `record` (a Person, Household, House or Building the caller may
    read: the interfaces find it with visible_record). Bad input: ValidationError per field."""
    record_type = next((t for t, model in MODELS.items() if isinstance(record, model)), None)
    if record_type is None:
        raise ValueError(f"not a registry record: {record!r}")
    errors: dict[str, list[str]] = {}
    if kind not in Objection.Kind.values:
        errors["kind"] = [_("Choose what is wrong.")]
    text = _text(text, "text", _("Say what is wrong with the record."), errors)
    fields = [name.strip() for name in fields if name and name.strip()]
    known = set(objection_fields(record_type))
    if unknown := [name for name in fields if name not in known]:
        errors["fields"] = [
            _("Not a field of this record: %(names)s") % {"names": ", ".join(unknown)[:100]}
        ]
    if errors:
        raise ValidationError(errors)
    return Objection.objects.create(
        record_type=record_type,
        **{str(record_type): record},
        grid_id=record.grid_id,
        kind=kind,
        fields=",".join(dict.fromkeys(fields))[:200],
        text=text,
        raised_by=actor if actor.is_authenticated else None,
    )


def _lock_open(objection: Objection, actor) -> Objection:
    """The objection's row, locked; PermissionDenied (403) for a user who may see it but not
    resolve it, ObjectionClosed (409) once it is resolved. In this order: a closed objection is
    not the reader's to resolve either way."""
    locked = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("grid", "person", "household", "house", "building")
        .get(pk=objection.pk)
    )
    if not can_resolve(actor, locked):
        raise PermissionDenied(_("Only the staff of the record's community resolve objections."))
    if locked.status != Objection.Status.OPEN:
        raise ObjectionClosed(locked.status)
    return locked


def _close(objection: Objection, *, actor, status: str, resolution: str, **links) -> Objection:
    objection.status = status
    objection.resolved_by = actor
    objection.resolved_at = timezone.now()
    objection.resolution = resolution
    for name, value in links.items():
        setattr(objection, name, value)
    objection.save()
    return objection


@transaction.atomic
def resolve_by_correction(
    objection: Objection,
    *,
    actor,
    correction: str = UPDATE,
    changes: dict | None = None,
    on: date | None = None,
    resolution: str = "",
) -> Objection:
    """Correct the record through the registry and close the objection as corrected.

    `correction` is "update" (`changes`: field → new value, of correctable_fields), or for a
    person "move_out" / "death" (on `on`, default today). The registry writes the change and
    its history; the objection links its audit entry (and life event). A correction that changes
    nothing is refused (400) and writes nothing."""
    objection = _lock_open(objection, actor)
    record = objection.record
    changes = dict(changes or {})
    errors: dict[str, list[str]] = {}
    if correction not in CORRECTIONS[objection.record_type]:
        errors["correction"] = [_("Choose how the record is corrected.")]
    resolution = (resolution or "").strip()
    if len(resolution) > TEXT_MAX:
        errors["resolution"] = [_("At most %(n)s characters.") % {"n": TEXT_MAX}]
    allowed = correctable_fields(objection.record_type)
    for name in changes:
        if name not in allowed:
            errors[name] = [_("This field cannot be changed here.")]
    if correction == UPDATE and not changes and "correction" not in errors:
        errors["changes"] = [_("Give the corrected values.")]
    if errors:
        raise ValidationError(errors)
    model_name = type(record).__name__
    last_audit = _last_audit_id(model_name, record.pk)
    note = (resolution or _("Objection #%(id)s") % {"id": objection.pk})[:200]
    if correction == MOVE_OUT:
        registry.move_out(record, actor=actor, on=on, note=note)
    elif correction == DEATH:
        registry.record_death(record, actor=actor, on=on, note=note)
    elif isinstance(record, Person):
        registry.update_person(record, actor=actor, **changes)
    else:
        registry.update_details(record, actor=actor, **changes)
    audit_entry = (
        AuditEntry.objects.filter(
            model=model_name, object_id=record.pk, action=AuditEntry.Action.CHANGE
        )
        .filter(id__gt=last_audit)
        .order_by("-id")
        .first()
    )
    if audit_entry is None:
        # The registry wrote nothing: the values given are those it holds.
        raise ValidationError({"changes": [_("The record already holds these values.")]})
    life_event = None
    if isinstance(record, Person):
        life_event = LifeEvent.objects.filter(person=record).order_by("-id").first()
    return _close(
        objection,
        actor=actor,
        status=Objection.Status.CORRECTED,
        resolution=resolution,
        audit_entry=audit_entry,
        life_event=life_event,
    )


def _last_audit_id(model_name: str, pk: int) -> int:
    found = AuditEntry.objects.filter(model=model_name, object_id=pk).aggregate(last=Max("id"))
    return found["last"] or 0


@transaction.atomic
def reject(objection: Objection, *, actor, reason: str) -> Objection:
    """Close the objection without changing the record; the reason is required."""
    objection = _lock_open(objection, actor)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", _("Give the reason for rejecting the objection."), errors)
    if errors:
        raise ValidationError(errors)
    return _close(objection, actor=actor, status=Objection.Status.REJECTED, resolution=reason)
