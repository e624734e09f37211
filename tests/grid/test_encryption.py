"""Personal data at rest (grid/crypto.py): a dump of the tables shows no full ID number or phone,
the application reads them as before, the keyed digest still finds a person by ID number, keys
rotate batch by batch while reads go on, and a missing or wrong key fails loudly."""

import importlib
import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from datagov import inventory
from grid import crypto, imports, registry
from grid.models import House, Person
from tests.grid.conftest import resident_id
from tests.grid.test_imports import csv_bytes

pytestmark = pytest.mark.django_db

TEST_KEY = "test:eX5crdzOPXnW2K8ybRMsB9oe5hmDobs5PZtERAgNU20="  # tests/settings.py's
NEW_KEY = "new:" + "A" * 43 + "="  # 32 zero bytes would do as well; only the id matters here
PERSONAL_COLUMNS = ("id_number", "phone", "other_phone", "religion")


def raw_person(pk: int) -> dict[str, str]:
    """The person's personal columns as a database dump shows them (no ORM)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(PERSONAL_COLUMNS)} FROM grid_person WHERE id = %s", [pk])
        return dict(zip(PERSONAL_COLUMNS, cursor.fetchone(), strict=True))


def raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> '' ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def store_plain(pk: int, **values) -> None:
    """Write values in clear, as every row was before migration 0008."""
    sets = ", ".join(f"{column} = %s" for column in values)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE grid_person SET {sets} WHERE id = %s", [*values.values(), pk])


# What a dump shows


def test_the_raw_table_holds_no_full_id_number_or_phone_of_a_registered_person(family):
    head = family["head"]

    stored = raw_person(head.pk)

    for column in ("id_number", "phone"):
        assert stored[column].startswith("enc:v1:test:"), column
    assert head.id_number not in stored["id_number"]
    assert "13812345678" not in stored["phone"]
    assert stored["other_phone"] == ""  # empty stays empty: nothing to hide
    # Every ID number and phone column of the table, not only this row's.
    for column in ("id_number", "phone"):
        assert all(value.startswith("enc:") for value in raw_column("grid_person", column))


def test_a_house_owners_phone_is_stored_encrypted(family, admin_user):
    house = registry.create_house(
        actor=admin_user, building=family["building"], unit=1, floor=4, number="401",
        owner_name="陈建华", owner_phone="13812345678",
    )  # fmt: skip

    stored = raw_column("grid_house", "owner_phone")

    assert stored
    assert all(value.startswith("enc:v1:test:") for value in stored)
    assert House.objects.get(pk=house.pk).owner_phone == "13812345678"


def test_imported_persons_are_stored_encrypted(family, home_grids, demo):
    grid1 = django_apps.get_model("auth", "User").objects.get(username="grid1")
    number = resident_id(date(1980, 1, 2), 13)
    rows = [
        ["楼栋", "单元", "楼层", "房号", "户号", "与户主关系", "姓名", "证件号码", "联系电话"],
        ["1", "1", "5", "501", "H-0100", "户主", "赵大伟", number, "13600000001"],
    ]

    report = imports.import_file(csv_bytes(rows), area=home_grids[0], actor=grid1)

    assert report.written_rows == 1
    person = Person.objects.get(name="赵大伟")
    stored = raw_person(person.pk)
    assert stored["id_number"].startswith("enc:v1:test:")
    assert number not in stored["id_number"]
    assert "13600000001" not in stored["phone"]
    assert (person.id_number, person.phone) == (number, "13600000001")


# What the application reads


def test_the_orm_reads_the_plain_values(family):
    head = family["head"]

    again = Person.objects.get(pk=head.pk)

    assert again.id_number == head.id_number
    assert again.phone == "13812345678"
    assert again.religion == head.religion
    assert list(Person.objects.filter(pk=head.pk).values_list("phone", flat=True)) == [
        "13812345678"
    ]


def test_the_keyed_digest_still_finds_a_person_by_id_number(family):
    head = family["head"]

    assert list(registry.find_by_id_number(head.id_number)) == [head]


def test_the_masked_view_and_the_reveal_decrypt(family):
    head = Person.objects.get(pk=family["head"].pk)

    assert registry.masked(head)["phone"] == "138****5678"


@pytest.mark.parametrize(
    "lookup",
    [
        {"phone": "13812345678"},
        {"phone__startswith": "138"},
        {"id_number__icontains": "4401"},
        {"id_number__in": ["x"]},
        {"religion__iexact": "00"},
    ],
)
def test_filtering_on_an_encrypted_field_raises(family, lookup):
    with pytest.raises(FieldError, match="encrypted"):
        list(Person.objects.filter(**lookup))


def test_empty_and_null_comparisons_still_work(family):
    assert Person.objects.exclude(phone="").count() == 2
    assert Person.objects.filter(other_phone="").count() == 3
    assert Person.objects.filter(phone__isnull=True).count() == 0


# Keys


def test_a_value_whose_key_is_not_configured_fails_loudly(family, settings):
    settings.DATA_KEYS = [NEW_KEY]

    with pytest.raises(crypto.DecryptionError, match="data key 'test'"):
        Person.objects.get(pk=family["head"].pk)


def test_a_wrong_key_under_the_same_id_fails_loudly_not_with_garbage(family, settings):
    settings.DATA_KEYS = ["test:" + "B" * 43 + "="]

    with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
        Person.objects.get(pk=family["head"].pk)


def test_a_value_copied_into_another_column_does_not_decrypt(family):
    stored = raw_person(family["head"].pk)["phone"]

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, "grid.person.other_phone")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "no key"),
        (["nokey"], "id:base64key"),
        (["k1:not base64!"], "not base64"),
        (["k1:AAAA"], "32"),
        ([TEST_KEY, TEST_KEY], "twice"),
    ],
)
def test_a_bad_key_setting_is_refused_with_its_reason(entries, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(entries)


def test_a_bad_key_setting_stops_the_system_check(settings):
    settings.DATA_KEYS = ["k1:AAAA"]

    assert [error.id for error in crypto.check_data_keys()] == ["grid.E001"]


# Rotation


def test_rotation_re_encrypts_every_row_with_the_new_key(family, neighbour, settings):
    settings.DATA_KEYS = [NEW_KEY, TEST_KEY]
    out = io.StringIO()

    call_command("rotate_data_key", "--dry-run", stdout=out)
    assert "grid_person: 4 rows to re-encrypt" in out.getvalue()
    call_command("rotate_data_key", "--batch-size", "2", stdout=out)

    for column in ("id_number", "phone"):
        assert all(v.startswith("enc:v1:new:") for v in raw_column("grid_person", column))
    # The old key can go now: everything reads with the new one alone.
    settings.DATA_KEYS = [NEW_KEY]
    head = Person.objects.get(pk=family["head"].pk)
    assert (head.id_number, head.phone) == (family["head"].id_number, "13812345678")
    assert crypto.count_stale(Person) == 0


def test_rows_read_during_rotation_whichever_key_they_carry(family, neighbour, settings):
    settings.DATA_KEYS = [NEW_KEY, TEST_KEY]

    # One batch of two rows, then the run stops (as a killed command would).
    crypto.reencrypt_model(Person, batch_size=2, max_batches=1)

    key_ids = {crypto.key_id_of(v) for v in raw_column("grid_person", "id_number")}
    assert key_ids == {"new", "test"}
    phones = sorted(Person.objects.exclude(phone="").values_list("phone", flat=True))
    assert phones == ["13700001111", "13812345678", "13987654321"]
    # Run again: it picks up the rest.
    assert crypto.reencrypt_model(Person, batch_size=2) == 2
    assert crypto.count_stale(Person) == 0


# The upgrade of an existing database


def test_the_migration_encrypts_plain_rows_in_batches_and_resumes_after_interruption(
    family, neighbour
):
    persons = [family["head"], family["spouse"], family["son"], neighbour["person"]]
    for person in persons:
        store_plain(person.pk, id_number=person.id_number, phone=person.phone, religion="00")
    # Before (and during) the upgrade the application reads the plain values as they are.
    assert Person.objects.get(pk=persons[0].pk).phone == "13812345678"
    assert crypto.count_stale(Person) == 4

    crypto.reencrypt_model(Person, batch_size=3, max_batches=1)  # interrupted
    assert crypto.count_stale(Person) == 1
    migration = importlib.import_module("grid.migrations.0009_personal_data_encrypted_rows")
    migration.encrypt_rows(django_apps, SimpleNamespace(connection=connection))

    assert crypto.count_stale(Person) == 0
    for person in persons:
        stored = raw_person(person.pk)
        assert person.id_number not in stored["id_number"]
        assert stored["religion"].startswith("enc:v1:test:")
        again = Person.objects.get(pk=person.pk)
        assert (again.id_number, again.phone, again.religion) == (
            person.id_number,
            person.phone,
            "00",
        )


# Agreement with the data catalogue


def test_every_unshared_personal_field_is_encrypted():
    """Each field datagov/inventory.py classes 不共享 is encrypted, but the keyed ID digest,
    which is already a one-way keyed hash and must stay searchable."""
    unencrypted = []
    for dataset in inventory.DATASETS:
        model = django_apps.get_model(dataset.model)
        for field in model._meta.concrete_fields:
            spec = inventory.field_default(
                model._meta.label_lower, field.name, dataset.sharing_class
            )
            if spec.sharing_class != inventory.NONE or spec.reason == inventory.ID_DIGEST:
                continue
            if not isinstance(field, crypto.EncryptedCharField):
                unencrypted.append(f"{model._meta.label_lower}.{field.name}")

    assert unencrypted == []
