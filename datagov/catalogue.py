"""The catalogue's services: keeping its rows in step with the models (`sync`), changing a
sharing class with its history (`change_class`), and the periodic counts (`count_records`).

These are the only writers of datagov's tables. A change of any class bumps the open
statistics' cache version (datagov/openstats.py), so no published figure outlives the class
that allowed it.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from datagov import inventory
from datagov.models import OPENNESS, ClassChange, Dataset, DatasetField, PopulationCount
from datagov.models import SharingClass as C
from grid.exports import AGE_BANDS, _years_before
from grid.jurisdiction import has_role
from grid.models import Area, Person, Post

MAX_REASON = 300


def catalogued_fields(model) -> list:
    """The fields of `model` the catalogue describes: its columns and many-to-many links."""
    return [f for f in model._meta.get_fields() if f.concrete and not f.auto_created]


def _labels(field) -> tuple[str, str]:
    name = getattr(field, "verbose_name", field.name)
    with translation.override("zh-hans"):
        zh = str(name)
    with translation.override("en"):
        en = str(name)
    return zh[:100], en[:100]


def _meaning(field) -> str:
    text = str(field.help_text or "")
    if not text and field.is_relation and field.related_model is not None:
        with translation.override("zh-hans"):
            text = str(field.related_model._meta.verbose_name)
        text = f"→ {text}"
    return text[:300]


@transaction.atomic
def sync() -> int:
    """Add a row for each dataset of the inventory and each of its models' fields the catalogue
    lacks (never changing a class already there), and name the district as the responsible area
    where none is set. Returns the number of rows added."""
    added = 0
    district = Area.objects.filter(level=Area.Level.DISTRICT).order_by("pk").first()
    existing = {d.key: d for d in Dataset.objects.all()}
    # Every catalogued field in one read, rather than a read per dataset.
    known_fields: dict[int, set[str]] = {}
    for dataset_id, name in DatasetField.objects.values_list("dataset_id", "name"):
        known_fields.setdefault(dataset_id, set()).add(name)
    for position, spec in enumerate(inventory.DATASETS):
        model = apps.get_model(spec.model)
        key = model._meta.label_lower
        dataset = existing.get(key)
        if dataset is None:
            dataset = Dataset.objects.create(
                key=key,
                name=spec.name,
                name_en=spec.name_en,
                standard=spec.standard,
                update_frequency=spec.frequency,
                sharing_class=spec.sharing_class,
                reason=spec.reason,
                position=position,
                owner_area=district,
            )
            added += 1
        elif dataset.owner_area_id is None and dataset.owner_department_id is None and district:
            Dataset.objects.filter(pk=dataset.pk).update(owner_area=district)
        known = known_fields.get(dataset.pk, set())
        new = []
        for field_position, field in enumerate(catalogued_fields(model)):
            if field.name in known:
                continue
            default = inventory.field_default(key, field.name, dataset.sharing_class)
            zh, en = _labels(field)
            new.append(
                DatasetField(
                    dataset=dataset,
                    name=field.name,
                    label=zh,
                    label_en=en,
                    meaning=_meaning(field),
                    code_table=default.code_table,
                    standard=default.standard,
                    sharing_class=default.sharing_class,
                    reason=default.reason or dataset.reason,
                    position=field_position,
                )
            )
        DatasetField.objects.bulk_create(new)
        added += len(new)
    return added


def sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate: the catalogue follows the models after every migration."""
    using = kwargs.get("using", "default")
    # A partial migrate (another app's only) may leave the catalogue's tables to come.
    if using != "default" or Dataset._meta.db_table not in connection.introspection.table_names():
        return
    sync()


def can_change_classes(user) -> bool:
    return has_role(user, Post.Role.ADMIN)


@transaction.atomic
def change_class(
    dataset: Dataset, *, field: DatasetField | None, to_class: str, reason: str, actor
) -> ClassChange | None:
    """Set the sharing class of `dataset` (or of its `field`) and record the change: who, when,
    from, to and why. A field is never classed more openly than its dataset; a dataset made
    stricter than some of its fields keeps their rows as they are (their effective class is the
    dataset's). Returns the change, or None when the class was already `to_class`."""
    if not can_change_classes(actor):
        raise PermissionDenied(_("Only administrators may change sharing classes."))
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the class changes.")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [_("Keep the reason under %(n)d characters.") % {"n": MAX_REASON}]
    if to_class not in C.values:
        errors["sharing_class"] = [_("Choose one of the three sharing classes.")]
    elif field is not None and OPENNESS[to_class] > OPENNESS[dataset.sharing_class]:
        errors["sharing_class"] = [
            _("A field cannot be shared more openly than its dataset (%(cls)s).")
            % {"cls": C(dataset.sharing_class).label}
        ]
    if field is not None and field.dataset_id != dataset.pk:
        errors["field"] = [_("This field belongs to another dataset.")]
    if errors:
        raise ValidationError(errors)
    target = field or dataset
    # Locked so two admins changing the same class record one history in order.
    target = type(target).objects.select_for_update().get(pk=target.pk)
    if target.sharing_class == to_class:
        return None
    change = ClassChange.objects.create(
        dataset=dataset,
        field=field,
        actor=actor,
        from_class=target.sharing_class,
        to_class=to_class,
        reason=reason,
    )
    type(target).objects.filter(pk=target.pk).update(sharing_class=to_class, reason=reason)
    from datagov import openstats

    transaction.on_commit(openstats.bump_version)
    return change


def effective_classes(keys) -> dict[tuple[str, str], str]:
    """(dataset key, field name) → the field's effective class, for the datasets `keys`: one
    query."""
    rows = DatasetField.objects.filter(dataset__key__in=keys).values_list(
        "dataset__key", "name", "sharing_class", "dataset__sharing_class"
    )
    return {
        (key, name): (own if OPENNESS[own] <= OPENNESS[whole] else whole)
        for key, name, own, whole in rows
    }


# Periodic counts


def age_band(today: date):
    """An SQL expression giving a person's age band (its lower bound; -1 if unknown) on
    `today`."""
    whens = [When(birth_date__isnull=True, then=Value(-1))]
    for low, high in AGE_BANDS[:-1]:
        whens.append(When(birth_date__gt=_years_before(today, high + 1), then=Value(low)))
    return Case(*whens, default=Value(AGE_BANDS[-1][0]), output_field=IntegerField())


@transaction.atomic
def count_population(*, today: date | None = None) -> int:
    """Replace the population counts by a fresh count of the living persons (one grouped
    query). Returns the number of persons counted."""
    today = today or timezone.localdate()
    rows = (
        Person.objects.filter(status=Person.Status.LIVING)
        .values("grid_id", "population_type", band=age_band(today))
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = [
        PopulationCount(
            grid_id=row["grid_id"],
            population_type=row["population_type"],
            age_band=row["band"],
            persons=row["n"],
        )
        for row in rows
    ]
    PopulationCount.objects.all().delete()
    PopulationCount.objects.bulk_create(counts, batch_size=5000)
    return sum(c.persons for c in counts)


def count_records() -> None:
    """The periodic count (beat, hourly): population counts first, then each dataset's record
    count kept in its row. Counting a table once an hour here spares every page a COUNT(*)."""
    sync()
    count_population()
    now = timezone.now()
    for dataset in Dataset.objects.all():
        try:
            model = apps.get_model(dataset.key)
        except LookupError:  # a model that no longer exists keeps its last count
            continue
        n = model._default_manager.count()
        Dataset.objects.filter(pk=dataset.pk).update(record_count=n, counted_at=now)
    from datagov import openstats

    transaction.on_commit(openstats.bump_version)


def model_of(dataset: Dataset) -> type[models.Model] | None:
    try:
        return apps.get_model(dataset.key)
    except LookupError:
        return None
