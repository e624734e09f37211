"""Sharing requests and grants (共享需求): the only writer of SharingRequest and Grant.

    submit ──► submitted ──approve──► approved ─┐
                   │      ──narrow───► narrowed ─┴─► a Grant: fields ⊆ requested, area ⊆ requested,
                   │                                 period ⊆ requested; revoke ends it at once
                   ├──refuse───► refused (reason)
                   └──withdraw─► withdrawn (by the requester)

Who does what (policies below, called by every interface):
- a department's staff request for their department; another system (governance.ApiClient)
  requests for itself through the API with its key;
- the data owner decides: staff whose post covers the requested area (community, street,
  district dispatcher, administrator): a community decides on its own households;
- the owner (or an administrator) revokes a grant; the requester reads under it, and only it.

Only 按需共享 data is requested: a 普遍共享 dataset needs no request, a 不共享 field cannot be
requested (a 400 per field), and a field made 不共享 after its grant is never shown under it.

Decisions race: each locks its request (SELECT … FOR UPDATE) and checks it is still waiting, so
of two owners deciding at once the second gets StaleDecision (a 409), never a second grant.

Reads under a grant are audited as one AuditEntry per record read (action view, the record's
type and id, the fields shown, detail "grant #N"), written with one INSERT per page; a CSV
download is one export entry, counted in the hourly allowance of exports (grid/limits.py). An
account that reads more than SANHUA_GRANT_READS_PER_HOUR records under grants in an hour raises
an AccessAlert (action view), which notifies the supervisors like the reveal allowance's.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.notifications import notify_users
from datagov.catalogue import model_of
from datagov.models import Dataset, DatasetField, Grant, SharingClass, SharingRequest
from grid.jurisdiction import covers_with_role, restrict, scope_of
from grid.limits import WINDOW
from grid.models import AccessAlert, Area, AuditEntry, Department, Post
from grid.signals import access_limit_reached

MAX_PURPOSE = 500
MAX_REASON = 300

# The datasets rows can be read from under a grant, and the lookup of the grid each row lies in:
# a grant's area is matched against it ("the area and everything below").
READABLE = {
    "grid.building": "grid",
    "grid.house": "grid",
    "grid.household": "grid",
    "grid.person": "grid",
}

# Who decides on a request, as the data owner of its area (and revokes its grant).
OWNER_ROLES = (
    Post.Role.COMMUNITY_STAFF,
    Post.Role.STREET_STAFF,
    Post.Role.DISTRICT_DISPATCHER,
    Post.Role.ADMIN,
)


class StaleDecision(Exception):
    """The request was decided (or the grant revoked) by someone else first."""

    def __init__(self, status: str):
        self.status = status
        super().__init__(
            _("This was already decided (now: %(status)s); reload to see the decision.")
            % {"status": status}
        )


class GrantNotUsable(PermissionDenied):
    """The grant is revoked, expired or not yet valid, or the reader is not its grantee."""


def max_days() -> int:
    return settings.SANHUA_GRANT_MAX_DAYS


def reads_per_hour() -> int:
    return settings.SANHUA_GRANT_READS_PER_HOUR


# Policies


def departments_of(user) -> list[Department]:
    """The departments `user` may request for: those of their active department staff posts."""
    if not user.is_authenticated:
        return []
    return list(
        Department.objects.filter(
            posts__user=user, posts__is_active=True, posts__role=Post.Role.DEPARTMENT_STAFF
        ).order_by("code")
    )


def can_decide(user, area: Area) -> bool:
    """Whether `user` speaks for the data of `area` (its owner): approves, narrows, refuses and
    revokes."""
    return covers_with_role(user, area, OWNER_ROLES)


def requests_visible_to(user) -> QuerySet[SharingRequest]:
    """The requests `user` may see: their department's, their own (a system's), and those for
    data of an area they work in. Anything else is a 404."""
    queryset = SharingRequest.objects.all()
    if not user.is_authenticated:
        return queryset.none()
    scoped = restrict(queryset, user, path_field="area__path", department_field="department")
    if scope_of(user).everything:
        return scoped
    return queryset.filter(Q(pk__in=scoped.values("pk")) | Q(requested_by=user))


def grants_visible_to(user) -> QuerySet[Grant]:
    """The grants `user` may see: as for their requests."""
    queryset = Grant.objects.all()
    if not user.is_authenticated:
        return queryset.none()
    scoped = restrict(queryset, user, path_field="area__path", department_field="department")
    if scope_of(user).everything:
        return scoped
    return queryset.filter(Q(pk__in=scoped.values("pk")) | Q(request__requested_by=user))


def is_grantee(user, grant: Grant) -> bool:
    """Whether `user` reads under `grant`: staff of its department, or the system it was issued
    to (its user)."""
    if grant.client_id is not None:
        return grant.client.user_id == user.pk
    return any(d.pk == grant.department_id for d in departments_of(user))


# Submitting


def _field_errors(dataset: Dataset, names: list[str]) -> tuple[list[DatasetField], dict]:
    by_name = {f.name: f for f in dataset.fields.all()}
    errors: dict[str, list[str]] = {}
    chosen = []
    for name in dict.fromkeys(names):  # in the order given, each once
        field = by_name.get(name)
        key = f"fields.{name}"[:60]
        if field is None:
            errors[key] = [
                _("The dataset %(dataset)s has no field “%(field)s”.")
                % {"dataset": dataset.name, "field": name[:40]}
            ]
        elif field.effective_class == SharingClass.NONE:
            errors[key] = [
                _("%(label)s (%(field)s) is not shared (不共享) and cannot be requested.")
                % {"label": field.label, "field": field.name}
            ]
        else:
            chosen.append(field)
    return chosen, errors


def _check_period(starts_on, ends_on, errors: dict, *, today: date) -> None:
    if starts_on is None:
        errors["starts_on"] = [_("Give the first day of the period.")]
    if ends_on is None:
        errors["ends_on"] = [_("Give the last day of the period.")]
    if starts_on is None or ends_on is None:
        return
    if ends_on < starts_on:
        errors["ends_on"] = [_("The period ends before it starts.")]
    elif ends_on < today:
        errors["ends_on"] = [_("The period is already over.")]
    elif (ends_on - starts_on).days + 1 > max_days():
        errors["ends_on"] = [
            _("A period is at most %(days)d days; ask again when it ends.") % {"days": max_days()}
        ]


@transaction.atomic
def submit(
    *,
    actor,
    dataset: Dataset | None,
    field_names: list[str],
    purpose: str,
    area: Area | None,
    starts_on: date | None,
    ends_on: date | None,
    department: Department | None = None,
    client=None,
) -> SharingRequest:
    """Request fields of an 按需共享 dataset for `department` (whose staff `actor` is) or for
    `client` (a system, acting as `actor`, its user). ValidationError with a message per field
    for anything wrong, and nothing is written."""
    errors: dict[str, list[str]] = {}
    if client is None:
        if department is None or department.pk not in {d.pk for d in departments_of(actor)}:
            errors["department"] = [_("Only a department's staff may request data for it.")]
    elif client.user_id != actor.pk:
        errors["client"] = [_("A system requests data only for itself.")]
    chosen = []
    if dataset is None:
        errors["dataset"] = [_("Choose a dataset from the catalogue.")]
    elif dataset.sharing_class == SharingClass.OPEN:
        errors["dataset"] = [
            _("%(dataset)s is shared openly (普遍共享): it needs no request.")
            % {"dataset": dataset.name}
        ]
    elif dataset.sharing_class == SharingClass.NONE:
        errors["dataset"] = [
            _("%(dataset)s is not shared (不共享) and cannot be requested.")
            % {"dataset": dataset.name}
        ]
    elif dataset.key not in READABLE:
        errors["dataset"] = [
            _("%(dataset)s cannot be read under a grant yet; choose a registry dataset.")
            % {"dataset": dataset.name}
        ]
    else:
        chosen, field_errors = _field_errors(dataset, [str(n) for n in field_names])
        errors.update(field_errors)
        if not field_names:
            errors["fields"] = [_("Choose at least one field.")]
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = [_("Say what the data is for.")]
    elif len(purpose) > MAX_PURPOSE:
        errors["purpose"] = [_("At most %(n)d characters.") % {"n": MAX_PURPOSE}]
    if area is None:
        errors["area"] = [_("Choose the area whose data you need.")]
    _check_period(starts_on, ends_on, errors, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    request = SharingRequest.objects.create(
        department=department if client is None else None,
        client=client,
        requested_by=actor,
        dataset=dataset,
        purpose=purpose,
        area=area,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    request.fields.set(chosen)
    _notify(owners_of(area), _request_text(request))
    return request


# Deciding


def _locked(request: SharingRequest) -> SharingRequest:
    current = SharingRequest.objects.select_for_update().get(pk=request.pk)
    if current.status != SharingRequest.Status.SUBMITTED:
        raise StaleDecision(current.get_status_display())
    return current


def _decider(actor, request: SharingRequest) -> None:
    if not can_decide(actor, request.area):
        raise PermissionDenied(_("Only the staff of %(area)s decide on its data.") % {
            "area": request.area.name
        })  # fmt: skip


@transaction.atomic
def approve(
    request: SharingRequest,
    *,
    actor,
    field_names: list[str] | None = None,
    area: Area | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    reason: str = "",
) -> Grant:
    """Approve `request` as asked, or narrowed: fewer of its fields, an area inside its area, a
    period inside its period (a reason is then required). Issues the Grant."""
    _decider(actor, request)
    request = _locked(request)
    requested = {f.name: f for f in request.fields.select_related("dataset")}
    errors: dict[str, list[str]] = {}
    if field_names is None:
        fields = list(requested.values())
    else:
        fields = []
        for name in dict.fromkeys(str(n) for n in field_names):
            if name in requested:
                fields.append(requested[name])
            else:
                errors[f"fields.{name}"[:60]] = [
                    _("“%(field)s” was not requested; a grant may only narrow the request.")
                    % {"field": name[:40]}
                ]
        if not field_names:
            errors["fields"] = [_("Grant at least one field, or refuse the request.")]
    # A field closed (不共享) since it was requested is never granted.
    fields = [f for f in fields if f.effective_class != SharingClass.NONE]
    if not fields and not errors:
        errors["fields"] = [_("None of the requested fields may be shared any more.")]
    area = area or request.area
    if not request.area.contains(area):
        errors["area"] = [
            _("The grant's area must be %(area)s or an area inside it.")
            % {"area": request.area.name}
        ]
    starts_on, ends_on = starts_on or request.starts_on, ends_on or request.ends_on
    if starts_on < request.starts_on or ends_on > request.ends_on:
        errors["ends_on"] = [
            _("The grant's period must lie within the requested one (%(start)s – %(end)s).")
            % {"start": request.starts_on, "end": request.ends_on}
        ]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("The period ends before it starts.")]
    narrowed = (
        {f.pk for f in fields} != {f.pk for f in requested.values()}
        or area.pk != request.area_id
        or (starts_on, ends_on) != (request.starts_on, request.ends_on)
    )
    reason = (reason or "").strip()
    if narrowed and not reason and not errors:
        errors["reason"] = [_("Say why the grant is narrower than the request.")]
    if len(reason) > MAX_REASON:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": MAX_REASON}]
    if errors:
        raise ValidationError(errors)
    status = SharingRequest.Status.NARROWED if narrowed else SharingRequest.Status.APPROVED
    _decide(request, actor, status, reason)
    grant = Grant.objects.create(
        request=request,
        department_id=request.department_id,
        client_id=request.client_id,
        dataset_id=request.dataset_id,
        area=area,
        valid_from=starts_on,
        valid_until=ends_on,
    )
    grant.fields.set(fields)
    _notify([request.requested_by_id], _decision_text(request))
    return grant


@transaction.atomic
def refuse(request: SharingRequest, *, actor, reason: str) -> SharingRequest:
    """Refuse `request`, with a reason the requester reads."""
    _decider(actor, request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the request is refused.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": MAX_REASON}]})
    request = _locked(request)
    _decide(request, actor, SharingRequest.Status.REFUSED, reason)
    _notify([request.requested_by_id], _decision_text(request))
    return request


@transaction.atomic
def withdraw(request: SharingRequest, *, actor) -> SharingRequest:
    """The requester takes back a request still waiting."""
    if request.requested_by_id != actor.pk and not (
        request.department_id and request.department_id in {d.pk for d in departments_of(actor)}
    ):
        raise PermissionDenied(_("Only the requester may withdraw a request."))
    request = _locked(request)
    _decide(request, actor, SharingRequest.Status.WITHDRAWN, "")
    return request


def _decide(request: SharingRequest, actor, status: str, reason: str) -> None:
    request.status, request.reason = status, reason
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "reason", "decided_by", "decided_at"])


@transaction.atomic
def revoke(grant: Grant, *, actor, reason: str) -> Grant:
    """End `grant` at once (the owner of its area, or an administrator), with a reason."""
    if not can_decide(actor, grant.area):
        raise PermissionDenied(_("Only the staff of %(area)s may revoke this grant.") % {
            "area": grant.area.name
        })  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the grant is revoked.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": MAX_REASON}]})
    current = Grant.objects.select_for_update().select_related("request").get(pk=grant.pk)
    if current.revoked_at is not None:
        raise StaleDecision(_("Revoked"))
    current.revoked_at, current.revoked_by, current.revoke_reason = timezone.now(), actor, reason
    current.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Grant #%(id)s (%(dataset)s) was revoked: %(reason)s") % {
            "id": current.pk, "dataset": current.dataset.name, "reason": reason
        }  # fmt: skip
    _notify([current.request.requested_by_id], text)
    return current


# Reading under a grant


def state(grant: Grant, today: date | None = None) -> str:
    """ "revoked", "pending" (not yet valid), "expired" or "active"."""
    today = today or timezone.localdate()
    if grant.revoked_at is not None:
        return "revoked"
    if today < grant.valid_from:
        return "pending"
    if today > grant.valid_until:
        return "expired"
    return "active"


STATE_LABELS = {
    "revoked": _("Revoked"),
    "pending": _("Not yet valid"),
    "expired": _("Expired"),
    "active": _("Valid"),
}


def check_readable(grant: Grant, user) -> None:
    """Raise GrantNotUsable unless `user` is the grantee and the grant is valid today."""
    if not is_grantee(user, grant):
        raise GrantNotUsable(_("Only the department or system the grant was issued to reads it."))
    now = state(grant)
    if now == "revoked":
        raise GrantNotUsable(_("This grant was revoked; nothing can be read under it."))
    if now == "expired":
        raise GrantNotUsable(
            _("This grant expired on %(day)s; request the data again.") % {"day": grant.valid_until}
        )
    if now == "pending":
        raise GrantNotUsable(
            _("This grant is valid from %(day)s; nothing can be read before.")
            % {"day": grant.valid_from}
        )


def shown_fields(grant: Grant) -> list[DatasetField]:
    """The granted fields, in the catalogue's order, less any not shared (不共享) now: a field
    closed after its grant is never shown under it."""
    fields = sorted(grant.fields.all(), key=lambda f: (f.position, f.name))
    return [
        f for f in fields if SharingClass.NONE not in (f.sharing_class, grant.dataset.sharing_class)
    ]


def rows(grant: Grant) -> QuerySet:
    """The dataset's rows inside the grant's area (the area and everything below it)."""
    model = model_of(grant.dataset)
    lookup = READABLE[grant.dataset.key]
    if grant.area.level == Area.Level.GRID:
        return model.objects.filter(**{f"{lookup}_id": grant.area_id})
    return model.objects.filter(**{f"{lookup}__path__startswith": grant.area.path})


def model_fields(grant: Grant, fields: list[DatasetField]) -> list:
    model = model_of(grant.dataset)
    return [model._meta.get_field(f.name) for f in fields]


def values(record, model_fields_: list) -> dict:
    """The shown fields of one record: a column's value, a link's id, many links' ids."""
    found = {"id": record.pk}
    for field in model_fields_:
        if field.many_to_many:
            found[field.name] = sorted(o.pk for o in getattr(record, field.name).all())
        else:
            found[field.name] = getattr(record, field.attname)
    return found


def page_queryset(grant: Grant, model_fields_: list) -> QuerySet:
    """rows(grant) loading only the shown fields (and the many links among them)."""
    columns = [f.attname for f in model_fields_ if not f.many_to_many]
    queryset = rows(grant).only("pk", *columns)
    links = [f.name for f in model_fields_ if f.many_to_many]
    return queryset.prefetch_related(*links) if links else queryset


def audit_reads(grant: Grant, *, actor, records, fields: list[DatasetField]) -> int:
    """One audit entry per record read under `grant`, written with one INSERT; alert the
    supervisors once an hour when the account's reads under grants pass the hourly number
    (SANHUA_GRANT_READS_PER_HOUR). Returns how many entries were written."""
    if not records:
        return 0
    model_name = model_of(grant.dataset).__name__
    names = ",".join(f.name for f in fields)[:300]
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            action=AuditEntry.Action.VIEW,
            model=model_name,
            object_id=record.pk,
            fields=names,
            detail=grant.label,
        )
        for record in records
    )
    _alert_if_over(actor)
    return len(records)


def _alert_if_over(actor) -> None:
    limit = reads_per_hour()
    since = timezone.now() - WINDOW
    reads = AuditEntry.objects.filter(
        actor=actor, action=AuditEntry.Action.VIEW, at__gt=since, detail__startswith="grant #"
    )
    if reads.count() <= limit:
        return
    with transaction.atomic():
        # Under the account's lock, like grid/limits.py: two reads at once alert once.
        get_user_model().objects.select_for_update(no_key=True).only("pk").get(pk=actor.pk)
        alerted = AccessAlert.objects.filter(
            actor=actor, action=AuditEntry.Action.VIEW, at__gt=since
        ).exists()
        if not alerted:
            alert = AccessAlert.objects.create(
                actor=actor, action=AuditEntry.Action.VIEW, limit=limit
            )
            access_limit_reached.send(sender=AccessAlert, alert=alert)


def audit_export(grant: Grant, *, actor, count: int, fields: list[DatasetField], fmt: str):
    """The audit entry of a download of the rows under `grant`: one export, counted in the
    account's hourly allowance of exports (grid/limits.py raises LimitReached beyond it)."""
    from grid import limits

    with limits.spend(actor, AuditEntry.Action.EXPORT):
        AuditEntry.objects.create(
            actor=actor,
            action=AuditEntry.Action.EXPORT,
            model=model_of(grant.dataset).__name__,
            object_id=None,
            fields=",".join(f.name for f in fields)[:300],
            detail=f"{grant.label}: {count} records, {fmt}",
        )


# Notifications


def owners_of(area: Area) -> list[int]:
    """The users who decide on requests for `area`: the owner-role staff of the nearest area at
    or above it that has any (a community's staff for its households)."""
    ids = [int(part) for part in area.path.strip("/").split("/")]
    posts = Post.objects.filter(
        area_id__in=ids, role__in=OWNER_ROLES, is_active=True, user__is_active=True
    ).values_list("area_id", "user_id")
    by_area: dict[int, set[int]] = {}
    for area_id, user_id in posts:
        by_area.setdefault(area_id, set()).add(user_id)
    for area_id in reversed(ids):
        if by_area.get(area_id):
            return sorted(by_area[area_id])
    return []


def _request_text(request: SharingRequest) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(requester)s requests %(dataset)s of %(area)s: %(purpose)s") % {
            "requester": request.requester, "dataset": request.dataset.name,
            "area": request.area.name, "purpose": request.purpose,
        }  # fmt: skip


def _decision_text(request: SharingRequest) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Your request #%(id)s for %(dataset)s: %(status)s") % {
            "id": request.pk, "dataset": request.dataset.name,
            "status": request.get_status_display(),
        }  # fmt: skip


def _notify(user_ids, text: str) -> None:
    notify_users([u for u in user_ids if u], text[:200])


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today, today + timedelta(days=90)
