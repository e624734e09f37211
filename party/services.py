"""Writes to party building: the only writer of party/models.py. Every interface (API, pages,
admin, demo data) calls these, so the tree's paths, the history rows and the rules can never
disagree.

Each public function is one transaction and checks party/policies.py for its actor (actor=None
is the system: demo data, migrations). Errors are ValidationError with a message per field
(nothing written), PermissionDenied, or VisitConflict when someone else completed a visit first.

Races, and what settles them:
- two people linking the same household: the partial unique index on the household's current
  link; the loser gets a field error, not a 500;
- two links for one member beyond the limit: the member's row is locked while counting;
- two people completing the same visit: compare-and-set on `version`; the loser gets
  VisitConflict (409).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.models import Area, Department, Household, Person
from party import policies
from party.exceptions import VisitConflict
from party.models import (
    Activity,
    Attendance,
    CommitteeSeat,
    HouseholdLink,
    Member,
    MemberEvent,
    Organisation,
    Visit,
)

K = Organisation.Kind
# Smaller is higher. A child sits lower than its parent, except that a 党委 may lead 党委 (a
# street's 党工委 leads the communities' 党委); a 党支部 may sit directly under a 党委 (no 党总支
# between), but a 党小组 only inside a 党支部.
RANK = {K.COMMITTEE: 1, K.GENERAL_BRANCH: 2, K.BRANCH: 3, K.GROUP: 4}


def may_lead(parent_kind: str, kind: str) -> bool:
    """Whether an organisation of `parent_kind` may have one of `kind` directly below it."""
    if kind == K.GROUP:
        return parent_kind == K.BRANCH
    return RANK[kind] > RANK[parent_kind] or kind == parent_kind == K.COMMITTEE


MAX_NAME = Organisation._meta.get_field("name").max_length


def households_per_member() -> int:
    """How many households one member may link with (settings.PARTY_HOUSEHOLDS_PER_MEMBER)."""
    return getattr(settings, "PARTY_HOUSEHOLDS_PER_MEMBER", 10)


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _check(actor, allowed) -> None:
    if actor is not None:
        policies.require(allowed(actor))


# Organisations


def check_organisation(
    *,
    kind: str,
    name: str,
    parent: Organisation | None,
    area: Area | None,
    department: Department | None,
) -> None:
    """Raise ValidationError, a message per field, unless these values make a valid
    organisation."""
    errors: dict[str, list[str]] = {}
    if kind not in K.values:
        errors["kind"] = [_("Unknown kind of organisation.")]
    elif parent is None and kind != K.COMMITTEE:
        errors["parent"] = [_("Only a party committee may stand at the top of the tree.")]
    elif parent is not None and kind == K.GROUP and parent.kind != K.BRANCH:
        errors["parent"] = [_("A party group belongs to a party branch.")]
    elif parent is not None and not may_lead(parent.kind, kind):
        errors["kind"] = [
            _("An organisation sits lower than its parent, a %(kind)s.")
            % {"kind": K(parent.kind).label}
        ]
    if area is None and department is None:
        errors["area"] = [_("Attach the organisation to an area or a department.")]
    elif area is not None and department is not None and department.area_id != area.pk:
        errors["department"] = [_("The department does not belong to this area.")]
    attached = department.area if department is not None else area
    if attached is not None and parent is not None and not parent.area.contains(attached):
        errors.setdefault("area", []).append(
            _("The area must lie within the parent organisation's area, %(area)s.")
            % {"area": parent.area.name}
        )
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("At most %(n)s characters.") % {"n": MAX_NAME}]
    elif Organisation.objects.filter(parent=parent, name=name).exists():
        errors["name"] = [_("The parent already has an organisation with this name.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_organisation(
    *,
    actor,
    kind: str,
    name: str,
    parent: Organisation | None = None,
    area: Area | None = None,
    department: Department | None = None,
) -> Organisation:
    """An organisation below `parent`, attached to `area` or to `department` (and so to the
    department's area)."""
    check_organisation(kind=kind, name=name, parent=parent, area=area, department=department)
    area = department.area if department is not None else area
    _check(actor, lambda user: policies.can_manage_organisation(user, area))
    organisation = Organisation.objects.create(
        kind=kind, name=name.strip(), parent=parent, area=area, department=department, path=""
    )
    # The path holds the organisation's own id, which exists only after the insert.
    organisation.path = f"{parent.path if parent else '/'}{organisation.pk}/"
    organisation.save(update_fields=["path"])
    return organisation


@transaction.atomic
def appoint_committee(
    organisation: Organisation,
    *,
    actor,
    secretary: Member | None,
    deputies=(),
    committee=(),
    on: date | None = None,
) -> list[CommitteeSeat]:
    """Make these members the organisation's committee (换届): the current seats end on `on`,
    the new ones start then; the old committee stays in history. Every appointee must be a
    member of the organisation or of one below it."""
    _check(actor, lambda user: policies.can_manage_organisation(user, organisation.area))
    on = on or timezone.localdate()
    seats = [(secretary, CommitteeSeat.Role.SECRETARY)] if secretary is not None else []
    seats += [(m, CommitteeSeat.Role.DEPUTY_SECRETARY) for m in deputies]
    seats += [(m, CommitteeSeat.Role.COMMITTEE_MEMBER) for m in committee]
    errors: dict[str, list[str]] = {}
    seen = set()
    for member, role in seats:
        field = {"secretary": "secretary", "deputy_secretary": "deputies"}.get(role, "committee")
        if not organisation.contains(member.organisation):
            errors.setdefault(field, []).append(
                _("%(name)s is not a member of this organisation.") % {"name": member.person.name}
            )
        if member.pk in seen:
            errors.setdefault(field, []).append(
                _("%(name)s is named twice.") % {"name": member.person.name}
            )
        seen.add(member.pk)
    if errors:
        raise ValidationError(errors)
    CommitteeSeat.objects.filter(organisation=organisation, ended_on__isnull=True).update(
        ended_on=on
    )
    return [
        CommitteeSeat.objects.create(organisation=organisation, member=m, role=r, started_on=on)
        for m, r in seats
    ]


# Members


def _check_work_grid(work_grid: Area | None) -> None:
    if work_grid is not None and work_grid.level != Area.Level.GRID:
        raise ValidationError({"work_grid": [_("Choose a grid, not a larger area.")]})


@transaction.atomic
def admit_member(
    *,
    actor,
    person: Person,
    organisation: Organisation,
    status: str,
    joined_on: date,
    work_grid: Area | None = None,
    note: str = "",
) -> Member:
    """Record a registered person as a member of `organisation` (any living person of the
    registry; the organisation need not be in their grid: members work elsewhere too)."""
    _check(actor, lambda user: policies.can_manage_members(user, organisation))
    errors: dict[str, list[str]] = {}
    if person.status != Person.Status.LIVING:
        errors["person"] = [_("%(name)s is not living here any more.") % {"name": person.name}]
    elif Member.objects.filter(person=person).exists():
        errors["person"] = [_("This person is already a party member.")]
    if status not in Member.Status.values:
        errors["status"] = [_("Unknown member status.")]
    if joined_on > timezone.localdate():
        errors["joined_on"] = [_("The date lies in the future.")]
    elif person.birth_date and (joined_on - person.birth_date).days < 18 * 365:
        errors["joined_on"] = [_("Members join the party at 18 or older.")]
    try:
        _check_work_grid(work_grid)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                person=person,
                organisation=organisation,
                status=status,
                joined_on=joined_on,
                work_grid=work_grid,
            )
    except IntegrityError:
        # Someone admitted the same person a moment ago.
        raise ValidationError({"person": [_("This person is already a party member.")]}) from None
    MemberEvent.objects.create(
        member=member,
        kind=MemberEvent.Kind.ADMIT,
        occurred_on=joined_on,
        to_organisation=organisation,
        to_status=status,
        note=note[:200],
        actor=_user(actor),
    )
    return member


@transaction.atomic
def transfer_member(
    member: Member, *, actor, to: Organisation, on: date | None = None, note: str = ""
) -> Member:
    """Move a member to another organisation (组织关系转接); the event keeps where from. Both
    organisations must be the actor's to manage. Their household links stay: they follow where
    the member lives and works, not the organisation."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    _check(
        actor,
        lambda user: (
            policies.can_manage_members(user, member.organisation)
            and policies.can_manage_members(user, to)
        ),
    )
    on = on or timezone.localdate()
    if to.pk == member.organisation_id:
        raise ValidationError({"to": [_("The member already belongs to this organisation.")]})
    if on > timezone.localdate():
        raise ValidationError({"on": [_("The date lies in the future.")]})
    before = member.organisation
    # Seats on committees of organisations the member leaves end with the transfer; a seat on
    # the committee of an organisation that also holds the new one (a branch, for a member
    # moved into one of its party groups) stays.
    left = [
        seat.pk
        for seat in CommitteeSeat.objects.filter(
            member=member, ended_on__isnull=True
        ).select_related("organisation")
        if not seat.organisation.contains(to)
    ]
    CommitteeSeat.objects.filter(pk__in=left).update(ended_on=on)
    member.organisation = to
    member.save(update_fields=["organisation", "updated_at"])
    MemberEvent.objects.create(
        member=member,
        kind=MemberEvent.Kind.TRANSFER,
        occurred_on=on,
        from_organisation=before,
        to_organisation=to,
        note=note[:200],
        actor=_user(actor),
    )
    return member


@transaction.atomic
def change_member_status(
    member: Member, *, actor, status: str, on: date | None = None, note: str = ""
) -> Member:
    """预备 → 正式 (转正), or to and from 流动; the event keeps the former status."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    _check(actor, lambda user: policies.can_manage_members(user, member.organisation))
    if status not in Member.Status.values:
        raise ValidationError({"status": [_("Unknown member status.")]})
    if status == member.status:
        raise ValidationError({"status": [_("The member already has this status.")]})
    before = member.status
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    MemberEvent.objects.create(
        member=member,
        kind=MemberEvent.Kind.STATUS,
        occurred_on=on or timezone.localdate(),
        from_status=before,
        to_status=status,
        note=note[:200],
        actor=_user(actor),
    )
    return member


# Linked households (党员联系户)


def member_grids(member: Member) -> set[int]:
    """The grids whose households the member may link with: where they live and work."""
    return {g for g in (member.person.grid_id, member.work_grid_id) if g is not None}


@transaction.atomic
def link_household(
    *, actor, member: Member, household: Household, on: date | None = None
) -> HouseholdLink:
    """Assign a household to a member (党员联系户). The household lies in a grid where the member
    lives or works, has no linked member yet, and the member links with at most
    households_per_member() households."""
    _check(actor, lambda user: policies.can_link_households(user, household.grid))
    # Locked so two assignments to one member count each other.
    member = Member.objects.select_for_update().select_related("person").get(pk=member.pk)
    errors: dict[str, list[str]] = {}
    if member.person.status != Person.Status.LIVING:
        errors["member"] = [
            _("%(name)s is not living here any more.") % {"name": member.person.name}
        ]
    elif household.grid_id not in member_grids(member):
        errors["household"] = [
            _("The household lies outside the grids where the member lives or works.")
        ]
    limit = households_per_member()
    if member.links.filter(ended_on__isnull=True).count() >= limit:
        errors.setdefault("member", []).append(
            _("The member already links with %(n)s households, the most allowed.") % {"n": limit}
        )
    if HouseholdLink.objects.filter(household=household, ended_on__isnull=True).exists():
        errors.setdefault("household", []).append(
            _("The household already has a linked party member.")
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return HouseholdLink.objects.create(
                member=member,
                household=household,
                grid_id=household.grid_id,
                started_on=on or timezone.localdate(),
                actor=_user(actor),
            )
    except IntegrityError:
        raise ValidationError(
            {"household": [_("The household already has a linked party member.")]}
        ) from None


@transaction.atomic
def end_link(link: HouseholdLink, *, actor, on: date | None = None) -> HouseholdLink:
    """The member no longer links with the household; the row stays as history."""
    _check(actor, lambda user: policies.can_link_households(user, link.grid))
    on = on or timezone.localdate()
    updated = HouseholdLink.objects.filter(pk=link.pk, ended_on__isnull=True).update(ended_on=on)
    if not updated:
        raise ValidationError({"link": [_("This link has already ended.")]})
    # Visits still planned under the link will not happen now.
    Visit.objects.filter(link=link, status=Visit.Status.PLANNED).update(
        status=Visit.Status.CANCELLED, version=F("version") + 1
    )
    link.refresh_from_db()
    return link


# Visits


def _current_link(link: HouseholdLink) -> None:
    if link.ended_on is not None:
        raise ValidationError({"link": [_("This link has ended; visits go to current links.")]})


@transaction.atomic
def plan_visit(*, actor, link: HouseholdLink, planned_on: date) -> Visit:
    """Put a visit of the linked member to the household on the plan."""
    _check(actor, lambda user: policies.can_record_visit(user, link.grid))
    _current_link(link)
    return Visit.objects.create(
        link=link,
        member_id=link.member_id,
        household_id=link.household_id,
        grid_id=link.grid_id,
        planned_on=planned_on,
        recorded_by=_user(actor),
    )


def _check_notes(notes: str, visited_at) -> None:
    errors = {}
    if not (notes or "").strip():
        errors["notes"] = [_("Say what the visit found.")]
    elif len(notes) > 2000:
        errors["notes"] = [_("At most %(n)s characters.") % {"n": 2000}]
    if visited_at is not None and visited_at > timezone.now():
        errors["visited_at"] = [_("The time lies in the future.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def complete_visit(visit: Visit, *, actor, version: int, notes: str, visited_at=None) -> Visit:
    """Record a planned visit as done. Compare-and-set on `version`: if someone completed or
    cancelled it after the caller read it, nothing is written and VisitConflict is raised."""
    _check(actor, lambda user: policies.can_record_visit(user, visit.grid))
    _check_notes(notes, visited_at)
    updated = Visit.objects.filter(
        pk=visit.pk, version=version, status=Visit.Status.PLANNED
    ).update(
        status=Visit.Status.DONE,
        notes=notes.strip(),
        visited_at=visited_at or timezone.now(),
        recorded_by=_user(actor),
        version=version + 1,
    )
    if not updated:
        current = Visit.objects.filter(pk=visit.pk).values_list("version", "status").first()
        raise VisitConflict(version, *(current or (None, "")))
    return Visit.objects.get(pk=visit.pk)


@transaction.atomic
def record_visit(*, actor, link: HouseholdLink, notes: str, visited_at=None) -> Visit:
    """Record a visit done without a plan (the common case on a phone)."""
    _check(actor, lambda user: policies.can_record_visit(user, link.grid))
    _current_link(link)
    _check_notes(notes, visited_at)
    return Visit.objects.create(
        link=link,
        member_id=link.member_id,
        household_id=link.household_id,
        grid_id=link.grid_id,
        status=Visit.Status.DONE,
        visited_at=visited_at or timezone.now(),
        notes=notes.strip(),
        recorded_by=_user(actor),
    )


# Activities (三会一课, 志愿服务)


@transaction.atomic
def record_activity(
    *,
    actor,
    organisation: Organisation,
    kind: str,
    title: str,
    held_on: date,
    hours: Decimal,
    attendees=(),
    location: str = "",
    notes: str = "",
) -> Activity:
    """Record a meeting or volunteer service of `organisation` with the members who took part,
    each credited with its `hours`. Attendees are members of the organisation or of one below
    it."""
    _check(actor, lambda user: policies.can_record_activity(user, organisation))
    errors: dict[str, list[str]] = {}
    if kind not in Activity.Kind.values:
        errors["kind"] = [_("Unknown kind of activity.")]
    if not (title or "").strip():
        errors["title"] = [_("A title is required.")]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("The date lies in the future.")]
    if not Decimal("0") < hours <= Decimal("24"):
        errors["hours"] = [_("Between 0 and 24 hours.")]
    attendees = list(attendees)
    outside = [m.person.name for m in attendees if not organisation.contains(m.organisation)]
    if outside:
        errors["attendees"] = [
            _("Not members of this organisation: %(names)s") % {"names": "、".join(outside)}
        ]
    if len({m.pk for m in attendees}) != len(attendees):
        errors.setdefault("attendees", []).append(_("A member is named twice."))
    if errors:
        raise ValidationError(errors)
    activity = Activity.objects.create(
        organisation=organisation,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        hours=hours,
        location=location.strip(),
        notes=notes.strip(),
        recorded_by=_user(actor),
    )
    Attendance.objects.bulk_create(
        Attendance(activity=activity, member=m, hours=hours) for m in attendees
    )
    return activity
