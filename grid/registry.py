"""Writes to the community resource registry (以房管人): buildings, houses, households, people and
their life events. Every writer (API, pages, imports, demo data) goes through here, so the
history (Membership, Residence, LifeEvent), the denormalised current house/household/grid and
the audit log can never disagree.

Errors are django.core.exceptions.ValidationError with a message per field; a failing call
writes nothing (each public function is one transaction).
"""

import re
from datetime import date
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grid import codes, geo, idnumbers, limits
from grid.models import (
    Area,
    AuditEntry,
    Building,
    CareTag,
    House,
    Household,
    LifeEvent,
    Membership,
    Person,
    Residence,
    RevealPurpose,
)

HEAD = "02"  # GB/T 4761: 户主
CODED_FIELDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "marital_status": "marital_status",
    "political_status": "political_status",
    "education": "education",
    "religion": "religion",
}
PERSON_FIELDS = {
    "id_type",
    "id_number",
    "name",
    "former_name",
    "sex",
    "birth_date",
    "ethnicity",
    "native_place",
    "marital_status",
    "political_status",
    "education",
    "religion",
    "occupation",
    "employer",
    "phone",
    "other_phone",
    "population_type",
    "registered_address",
    "current_address",
    "is_separated",
}
PERSONAL_FIELDS = ("id_number", "phone", "other_phone")
_TEXT_FIELDS = sorted(
    f for f in PERSON_FIELDS if Person._meta.get_field(f).get_internal_type() == "CharField"
)
# Looked up for every row of an import: the choices' values once, not a list per call.
_ID_TYPES = frozenset(idnumbers.IdType.values)
_RESIDENT = idnumbers.IdType.RESIDENT.value
_POPULATION_TYPES = frozenset(Person.PopulationType.values)
_REGISTERED = Person.PopulationType.REGISTERED.value
_MAX_LENGTHS = {field: Person._meta.get_field(field).max_length for field in _TEXT_FIELDS}
_PHONE = re.compile(r"[0-9+\-() ]{5,30}")
_CODES = {name: {entry.code for entry in table} for name, table in codes.TABLES.items()}


def registry_key() -> bytes:
    return settings.REGISTRY_HMAC_KEY.encode()


def id_digest(id_number: str) -> str:
    """The keyed digest under which an ID number is indexed; "" for no number."""
    if not id_number:
        return ""
    return idnumbers.id_number_digest(id_number, key=registry_key())


def find_by_id_number(id_number: str):
    """Persons (any status) with exactly this ID number, through the keyed index only."""
    try:
        digest = id_digest(idnumbers.normalize_id_number(id_number))
    except ValueError:
        return Person.objects.none()
    return Person.objects.filter(id_digest=digest) if digest else Person.objects.none()


def audit(actor, action: str, obj=None, *, model: str = "", fields=(), detail: str = "") -> None:
    """Append one audit entry. Holds names and ids only, never personal values."""
    AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        model=model or (type(obj).__name__ if obj is not None else ""),
        object_id=getattr(obj, "pk", None),
        fields=",".join(fields)[:300],
        detail=detail[:300],
    )


# Buildings, houses, households


def clean_fields(model, values: dict) -> dict[str, list[str]]:
    """The problems Model.full_clean() finds in these field values, by field, without its checks
    that query the database (foreign keys, uniqueness): the caller knows those already."""
    errors = {}
    for model_field in model._meta.concrete_fields:
        if model_field.is_relation or model_field.name not in values:
            continue
        value = values[model_field.name]
        if model_field.blank and value in model_field.empty_values:
            continue
        if _plainly_valid(model_field, value):
            continue
        try:
            model_field.clean(value, None)
        except ValidationError as exc:
            errors[model_field.name] = exc.messages
    return errors


def _plainly_valid(model_field, value) -> bool:
    """Whether Field.clean() would take the value as it is, told without calling it (an import
    cleans a field for every row): text within the length of a text field, a whole number
    within the range of a number field, with no choices and no other validator."""
    limits = _limits(model_field)
    if limits is None or value in model_field.empty_values:
        return False
    kind, low, high = limits
    if kind is str:
        return type(value) is str and len(value) <= high
    return type(value) is int and (low is None or low <= value) and (high is None or value <= high)


@cache
def _limits(model_field) -> tuple | None:
    if model_field.choices:
        return None
    low = high = None
    for validator in model_field.validators:
        if isinstance(validator, MaxLengthValidator):
            high = validator.limit_value
        elif isinstance(validator, MinValueValidator):
            low = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value
        else:
            return None
    if model_field.get_internal_type() == "CharField":
        return (str, None, high) if high is not None else None
    if model_field.get_internal_type().endswith("IntegerField"):
        return (int, low, high)
    return None


def check_new_building(grid: Area, fields: dict, *, taken: bool) -> None:
    """create_building's rules, raising ValidationError; `taken` says whether the grid already
    has a building with this number (an import asks for a whole chunk of rows in one query)."""
    if grid.level != Area.Level.GRID:
        raise ValidationError({"grid": [_("A building belongs to a grid.")]})
    if taken:
        raise ValidationError({"number": [_("This grid already has a building with this number.")]})
    if fields.get("lng") is not None or fields.get("lat") is not None:
        # A location is a pair, on the globe (a spreadsheet's 1e999 is a float, but no place).
        geo.parse_point(fields.get("lng"), fields.get("lat"))
    if errors := clean_fields(Building, fields):
        raise ValidationError(errors)


@transaction.atomic
def create_building(*, actor, grid: Area, **fields) -> Building:
    taken = Building.objects.filter(grid=grid, number=fields.get("number", "")).exists()
    check_new_building(grid, fields, taken=taken)
    building = Building(grid=grid, **fields)
    building.full_clean()
    building.save()
    return building


def check_new_house(building, fields: dict, *, taken: bool) -> None:
    """create_house's rules, raising ValidationError; `building` needs only its floors and units,
    and `taken` says whether its unit already has a room with this number."""
    unit, floor = fields.get("unit", 1), fields.get("floor")
    errors = {}
    if unit is not None and not 1 <= unit <= max(building.units, 1):
        errors["unit"] = [_("The building has %(n)s unit(s).") % {"n": building.units}]
    if floor is not None and not (-5 <= floor <= building.floors and floor != 0):
        errors["floor"] = [_("The building has %(n)s floor(s).") % {"n": building.floors}]
    if taken:
        errors["number"] = [_("This unit already has a room with this number.")]
    if errors:
        raise ValidationError(errors)
    if errors := clean_fields(House, fields):
        raise ValidationError(errors)


@transaction.atomic
def create_house(*, actor, building: Building, **fields) -> House:
    taken = House.objects.filter(
        building=building, unit=fields.get("unit", 1), number=fields.get("number")
    ).exists()
    check_new_house(building, fields, taken=taken)
    house = House(building=building, grid_id=building.grid_id, **fields)
    house.full_clean()
    house.save()
    return house


def check_new_household(*, number: str, house, grid: Area | None, fields: dict, taken: bool):
    """create_household's rules, raising ValidationError; `taken` says whether a household
    with this number exists."""
    if house is None and grid is None:
        raise ValidationError({"house": [_("A household needs a house or a grid.")]})
    if house is None and grid.level != Area.Level.GRID:
        raise ValidationError({"grid": [_("A household belongs to a grid, not a larger area.")]})
    if taken:
        raise ValidationError({"number": [_("A household with this number already exists.")]})
    if errors := clean_fields(Household, {"number": number, **fields}):
        raise ValidationError(errors)


@transaction.atomic
def create_household(
    *, actor, number: str, house: House | None = None, grid: Area | None = None, **fields
) -> Household:
    """A household, living in `house` (or, before it has one, registered in `grid`)."""
    taken = Household.objects.filter(number=number).exists()
    check_new_household(number=number, house=house, grid=grid, fields=fields, taken=taken)
    household = Household(
        number=number, house=house, grid_id=house.grid_id if house else grid.pk, **fields
    )
    household.full_clean(exclude=["head"])
    household.save()
    return household


# What update_details may change of each record; where it is, who belongs to it and a person's
# own fields change only through the functions that keep their history.
DETAIL_FIELDS = {
    Building: ("name", "address", "floors", "units"),
    House: ("use", "floor_area", "owner_name"),
    Household: ("kind", "registered_address"),
}


@transaction.atomic
def update_details(record, *, actor, **changes) -> list[str]:
    """Correct the details of a building, house or household (DETAIL_FIELDS); returns the fields
    that changed, with one audit entry naming them (none when nothing changed)."""
    allowed = DETAIL_FIELDS[type(record)]
    if unknown := sorted(set(changes) - set(allowed)):
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if errors := clean_fields(type(record), changes):
        raise ValidationError(errors)
    changed = sorted(name for name, value in changes.items() if getattr(record, name) != value)
    if changed:
        for name in changed:
            setattr(record, name, changes[name])
        record.save(update_fields=[*changed, "updated_at"])
        audit(actor, AuditEntry.Action.CHANGE, record, fields=changed)
    return changed


# People


def person_problems(
    data: dict, *, instance: Person | None = None, today: date | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """clean_person's checks except the one that reads the database (a living person with the
    same ID number): the fields merged and cleaned so far, and the problems by field. An import
    checks a chunk of rows this way, then their ID numbers in one query."""
    if not PERSON_FIELDS.issuperset(data):
        raise ValueError(f"not person fields: {sorted(set(data) - PERSON_FIELDS)}")
    merged = {field: getattr(instance, field) for field in PERSON_FIELDS} if instance else {}
    merged.update(data)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    # A birth date given in the future is refused even where a resident ID number's birth date
    # replaces it below: answering 200 to it would tell the client it was taken.
    given_birth = data.get("birth_date")
    if given_birth and given_birth > today:
        errors["birth_date"] = [_("The birth date is in the future.")]
    id_type = merged.get("id_type") or _RESIDENT
    number = (merged.get("id_number") or "").strip()
    if id_type not in _ID_TYPES:
        errors["id_type"] = [_("Unknown ID type.")]
    elif number:
        try:
            if id_type == _RESIDENT:
                resident = idnumbers.validate_resident_id(number, today=today)
                number = resident.number
                merged["birth_date"], merged["sex"] = resident.birth_date, resident.sex
            else:
                number = idnumbers.validate_id(id_type, number, today=today)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    merged["id_type"], merged["id_number"] = id_type, number
    if not (merged.get("name") or "").strip():
        errors["name"] = [_("A name is required.")]
    for field, max_length in _MAX_LENGTHS.items():
        # The column's length, checked here: past it the database refuses the whole write.
        value = merged.get(field) or ""
        if isinstance(value, str) and len(value) <= max_length:
            continue  # the only validator of these fields is their length
        try:
            Person._meta.get_field(field).run_validators(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    # A bad resident ID number already explains why no sex could be derived from it.
    if not merged.get("sex") and "id_number" not in errors:
        errors.setdefault("sex", [_("Give the sex, or a resident ID number to derive it from.")])
    for field, table in CODED_FIELDS.items():
        value = merged.get(field) or ""
        if value and value not in _CODES[table]:
            errors.setdefault(field, []).append(
                _("%(value)s is not a code of this table.") % {"value": value}
            )
    for field in ("phone", "other_phone"):
        value = (merged.get(field) or "").strip()
        if value and not _PHONE.fullmatch(value):
            errors[field] = [_("Enter a phone number: digits, spaces, + and - only.")]
    population = merged.get("population_type") or _REGISTERED
    if population not in _POPULATION_TYPES:
        errors["population_type"] = [_("Unknown population type.")]
    birth = merged.get("birth_date")
    if birth and birth > today:
        errors.setdefault("birth_date", [_("The birth date is in the future.")])
    merged["population_type"] = population
    return merged, errors  # person fields only: `data` has no other, and nor has `instance`


def id_number_taken_message() -> str:
    return _("A living person with this ID number is already registered.")


def clean_person(data: dict, *, instance: Person | None = None, today: date | None = None) -> dict:
    """Validate person fields; return them cleaned, with birth date and sex derived from a
    resident ID number. Raises ValidationError with every bad field at once."""
    cleaned, errors = person_problems(data, instance=instance, today=today)
    digest = id_digest(cleaned["id_number"])
    if digest and "id_number" not in errors:
        clash = Person.objects.filter(id_digest=digest, status=Person.Status.LIVING)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["id_number"] = [id_number_taken_message()]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _start(
    person: Person, *, house: House | None, household: Household | None, relation: str, on: date
) -> None:
    if house is not None:
        Residence.objects.create(person=person, house=house, started_on=on)
    if household is not None:
        Membership.objects.create(
            person=person, household=household, relation=relation, started_on=on
        )
        if relation == HEAD:
            Household.objects.filter(pk=household.pk).update(head=person)
            household.head = person


def _end_current(person: Person, *, on: date, household=True, house=True) -> None:
    if household:
        Membership.objects.filter(person=person, ended_on__isnull=True).update(ended_on=on)
        # A household whose head leaves has no head until change_head() names one.
        Household.objects.filter(head=person).update(head=None)
    if house:
        Residence.objects.filter(person=person, ended_on__isnull=True).update(ended_on=on)


def _check_relation(relation: str, household: Household | None) -> None:
    if household is None:
        return
    if relation not in _CODES["relation_to_head"]:
        raise ValidationError({"relation": [_("Choose the relation to the head of household.")]})
    if relation == HEAD and household.head_id is not None:
        raise ValidationError({"relation": [_("The household already has a head.")]})


@transaction.atomic
def register_person(
    *,
    actor,
    grid: Area | None = None,
    house: House | None = None,
    household: Household | None = None,
    relation: str = "",
    on: date | None = None,
    kind: str = LifeEvent.Kind.MOVE_IN,
    care_tags=(),
    **fields,
) -> Person:
    """Add a person who moves in (or is born: kind=BIRTH) to a house and household.

    The grid is the house's, else the household's, else `grid`. Writes the Residence and
    Membership history, the life event and an audit entry.
    """
    on = on or timezone.localdate()
    house = house or (household.house if household else None)
    grid_id = (
        house.grid_id if house else (household.grid_id if household else getattr(grid, "pk", None))
    )
    if house is None and household is None and grid is not None and grid.level != Area.Level.GRID:
        raise ValidationError({"grid": [_("A person lives in a grid, not a larger area.")]})
    if grid_id is None:
        raise ValidationError(
            {"house": [_("Give the house, household or grid the person lives in.")]}
        )
    _check_relation(relation, household)
    cleaned = clean_person(fields)
    person = Person(
        **cleaned,
        id_digest=id_digest(cleaned["id_number"]),
        grid_id=grid_id,
        house=house,
        household=household,
        relation_to_head=relation,
    )
    person.save()
    if care_tags:
        person.care_tags.set(care_tags)
    _start(person, house=house, household=household, relation=relation, on=on)
    LifeEvent.objects.create(
        person=person,
        kind=kind,
        occurred_on=on,
        house=house,
        household=household,
        actor=_user(actor),
    )
    audit(actor, AuditEntry.Action.CREATE, person, fields=sorted(cleaned))
    return person


@transaction.atomic
def update_person(person: Person, *, actor, care_tags=None, **changes) -> Person:
    """Change a person's details (not where they live: see the life events below)."""
    cleaned = clean_person(changes, instance=person)
    changed = sorted(f for f, v in cleaned.items() if getattr(person, f) != v)
    for field, value in cleaned.items():
        setattr(person, field, value)
    person.id_digest = id_digest(person.id_number)
    person.save()
    if care_tags is not None:
        before = set(person.care_tags.values_list("pk", flat=True))
        person.care_tags.set(care_tags)
        if before != {getattr(t, "pk", t) for t in care_tags}:
            changed.append("care_tags")
    if changed:
        LifeEvent.objects.create(
            person=person,
            kind=LifeEvent.Kind.UPDATE,
            occurred_on=timezone.localdate(),
            actor=_user(actor),
            note=",".join(changed)[:200],
        )
        audit(actor, AuditEntry.Action.CHANGE, person, fields=changed)
    return person


def _require_living(person: Person) -> None:
    if person.status != Person.Status.LIVING:
        raise ValidationError(
            {"person": [_("%(name)s is not living here any more.") % {"name": person.name}]}
        )


def _leave(person: Person, *, status: str, kind: str, actor, on: date | None, note: str) -> Person:
    """The person stops living here: their membership and residence end on `on`, they keep no
    current house, household or relation, and the event records the ones they left."""
    on = on or timezone.localdate()
    person = Person.objects.select_for_update().get(pk=person.pk)
    _require_living(person)
    _end_current(person, on=on)
    household, house = person.household, person.house
    person.status, person.house, person.household, person.relation_to_head = status, None, None, ""
    person.save(update_fields=["status", "house", "household", "relation_to_head", "updated_at"])
    LifeEvent.objects.create(
        person=person,
        kind=kind,
        occurred_on=on,
        household=household,
        house=house,
        note=note,
        actor=_user(actor),
    )
    audit(actor, AuditEntry.Action.CHANGE, person, fields=["status"], detail=kind)
    return person


@transaction.atomic
def move_out(person: Person, *, actor, on: date | None = None, note: str = "") -> Person:
    """The person leaves the district's registry (迁出); history keeps where they lived."""
    status, kind = Person.Status.MOVED_OUT, LifeEvent.Kind.MOVE_OUT
    return _leave(person, status=status, kind=kind, actor=actor, on=on, note=note)


@transaction.atomic
def move_back_in(
    person: Person,
    *,
    actor,
    house: House | None = None,
    household: Household | None = None,
    relation: str = "",
    on: date | None = None,
) -> Person:
    """A person who had moved out registers again, keeping their record and history."""
    on = on or timezone.localdate()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.status != Person.Status.MOVED_OUT:
        raise ValidationError({"person": [_("Only a person who moved out can move back in.")]})
    house = house or (household.house if household else None)
    if house is None and household is None:
        raise ValidationError({"house": [_("Give the house or household they move into.")]})
    _check_relation(relation, household)
    if (
        Person.objects.filter(id_digest=person.id_digest, status=Person.Status.LIVING)
        .exclude(id_digest="")
        .exists()
    ):
        raise ValidationError({"id_number": [id_number_taken_message()]})
    _start(person, house=house, household=household, relation=relation, on=on)
    person.status, person.house, person.household, person.relation_to_head = (
        Person.Status.LIVING,
        house,
        household,
        relation,
    )
    person.grid_id = house.grid_id if house else household.grid_id
    person.save()
    LifeEvent.objects.create(
        person=person,
        kind=LifeEvent.Kind.MOVE_IN,
        occurred_on=on,
        household=household,
        house=house,
        actor=_user(actor),
    )
    audit(actor, AuditEntry.Action.CHANGE, person, fields=["status"], detail="move_in")
    return person


@transaction.atomic
def move_to_household(
    person: Person, household: Household, *, actor, relation: str, on: date | None = None
) -> Person:
    """The person leaves their household for another (and its house, if it has one)."""
    on = on or timezone.localdate()
    person = Person.objects.select_for_update().get(pk=person.pk)
    _require_living(person)
    if household.pk == person.household_id:
        raise ValidationError({"household": [_("The person is already in this household.")]})
    household = Household.objects.select_for_update().get(pk=household.pk)
    _check_relation(relation, household)
    new_house = household.house or person.house
    moves_house = new_house is not None and new_house.pk != person.house_id
    _end_current(person, on=on, house=moves_house)
    _start(
        person,
        house=new_house if moves_house else None,
        household=household,
        relation=relation,
        on=on,
    )
    person.household, person.house, person.relation_to_head = household, new_house, relation
    person.grid_id = new_house.grid_id if new_house else household.grid_id
    person.save(update_fields=["household", "house", "relation_to_head", "grid", "updated_at"])
    LifeEvent.objects.create(
        person=person,
        kind=LifeEvent.Kind.CHANGE_HOUSEHOLD,
        occurred_on=on,
        household=household,
        house=new_house,
        actor=_user(actor),
    )
    audit(actor, AuditEntry.Action.CHANGE, person, fields=["household"])
    return person


@transaction.atomic
def change_head(
    household: Household,
    new_head: Person,
    *,
    actor,
    former_head_relation: str = "",
    on: date | None = None,
) -> Household:
    """Make a member the head of household. The former head, if still a member, takes
    `former_head_relation`; both get new Membership rows so the old relations stay in history."""
    on = on or timezone.localdate()
    household = Household.objects.select_for_update().get(pk=household.pk)
    if new_head.household_id != household.pk or new_head.status != Person.Status.LIVING:
        raise ValidationError({"head": [_("The new head must be a member of the household.")]})
    former = household.head
    if former is not None and former.pk != new_head.pk:
        if former_head_relation not in _CODES["relation_to_head"] or former_head_relation == HEAD:
            raise ValidationError(
                {"former_head_relation": [_("Choose the former head's new relation.")]}
            )
        _relate(former, household, former_head_relation, on)
    _relate(new_head, household, HEAD, on)
    household.head = new_head
    household.save(update_fields=["head", "updated_at"])
    LifeEvent.objects.create(
        person=new_head,
        kind=LifeEvent.Kind.BECOME_HEAD,
        occurred_on=on,
        household=household,
        actor=_user(actor),
    )
    audit(actor, AuditEntry.Action.CHANGE, household, fields=["head"])
    return household


def _relate(person: Person, household: Household, relation: str, on: date) -> None:
    Membership.objects.filter(person=person, ended_on__isnull=True).update(ended_on=on)
    Membership.objects.create(person=person, household=household, relation=relation, started_on=on)
    Person.objects.filter(pk=person.pk).update(relation_to_head=relation)
    person.relation_to_head = relation


@transaction.atomic
def record_death(person: Person, *, actor, on: date | None = None, note: str = "") -> Person:
    """The person died (死亡); history keeps where they lived."""
    status, kind = Person.Status.DECEASED, LifeEvent.Kind.DEATH
    return _leave(person, status=status, kind=kind, actor=actor, on=on, note=note)


def register_birth(
    *, actor, household: Household, relation: str, on: date | None = None, **fields
) -> Person:
    """A child born into a household; the birth date defaults to the day of the event."""
    fields.setdefault("birth_date", on)
    return register_person(
        actor=actor,
        household=household,
        relation=relation,
        on=on,
        kind=LifeEvent.Kind.BIRTH,
        **fields,
    )


# Personal data: masking by default, revealing as an audited action


def masked(person: Person) -> dict[str, str]:
    """The personal fields as everyone sees them by default."""
    return {
        "id_number": idnumbers.mask_id_number(person.id_number),
        "phone": idnumbers.mask_phone(person.phone),
        "other_phone": idnumbers.mask_phone(person.other_phone),
    }


def reveal(person: Person, *, actor, purpose: str, reason: str = "") -> dict[str, str]:
    """The full personal fields, for a caller the policy allows, with a purpose from
    RevealPurpose (and a reason in words, required for "other"); always audited, and at most
    SANHUA_REVEALS_PER_HOUR an hour per account (grid/limits.py raises LimitReached beyond)."""
    return reveal_fields(person, PERSONAL_FIELDS, actor=actor, purpose=purpose, reason=reason)


def reveal_fields(record, fields, *, actor, purpose: str, reason: str = "") -> dict[str, str]:
    """The full values of a record's personal `fields` (a person, an Open311 contact, a hotline
    caller), for a caller its policy allows: with a purpose from RevealPurpose (and words,
    required for "other"), always audited, and counted in the account's hourly allowance of
    reveals, whatever the record (grid/limits.py raises LimitReached beyond it)."""
    reason = (reason or "").strip()
    if purpose not in RevealPurpose.values:
        raise ValidationError({"purpose": [_("Choose why you need the full details.")]})
    if purpose == RevealPurpose.OTHER and not reason:
        raise ValidationError({"reason": [_("Say why you need the full details.")]})
    detail = f"{purpose}: {reason}" if reason else purpose
    with limits.spend(actor, AuditEntry.Action.REVEAL):
        audit(actor, AuditEntry.Action.REVEAL, record, fields=fields, detail=detail)
    return {field: getattr(record, field) for field in fields}


def record_view(person: Person, *, actor) -> None:
    audit(actor, AuditEntry.Action.VIEW, person)


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def care_tags_by_code(codes_: list[str]) -> list[CareTag]:
    tags = list(CareTag.objects.filter(code__in=codes_))
    missing = set(codes_) - {t.code for t in tags}
    if missing:
        raise ValidationError(
            {
                "care_tags": [
                    _("Unknown care tag(s): %(codes)s") % {"codes": ", ".join(sorted(missing))}
                ]
            }
        )
    return tags
