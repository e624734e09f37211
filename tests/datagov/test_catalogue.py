"""The resource catalogue: complete, seeded with sensible classes, changed only by
administrators and with every change kept."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from datagov import catalogue, inventory
from datagov.models import ClassChange, Dataset, DatasetField, PopulationCount, SharingClass
from grid.models import Person, Post

pytestmark = pytest.mark.django_db
C = SharingClass


def test_every_field_of_every_listed_dataset_has_a_catalogue_entry(demo):
    for spec in inventory.DATASETS:
        model = apps.get_model(spec.model)
        dataset = Dataset.objects.get(key=model._meta.label_lower)
        described = set(dataset.fields.values_list("name", flat=True))
        fields = {f.name for f in catalogue.catalogued_fields(model)}

        assert fields - described == set(), f"{spec.model}: fields without a catalogue entry"


def test_the_catalogue_covers_the_datasets_the_issue_names():
    listed = {spec.model for spec in inventory.DATASETS}

    assert listed >= {
        "grid.Area", "grid.Building", "grid.House", "grid.Household", "grid.Person",
        "grid.CareTag", "cases.Case", "cases.CaseEvent", "cases.Dispatch",
        "community.ServiceRequest", "party.Member", "cases.AreaRollup",
    }  # fmt: skip


def test_field_descriptions_name_real_fields():
    for key in inventory.FIELDS:
        app, model, field = key.split(".")
        apps.get_model(app, model)._meta.get_field(field)


def test_a_new_field_gets_its_entry_when_the_catalogue_syncs(demo):
    DatasetField.objects.filter(dataset__key="grid.person", name="phone").delete()

    added = catalogue.sync()

    assert added == 1
    phone = DatasetField.objects.get(dataset__key="grid.person", name="phone")
    assert phone.sharing_class == C.NONE


@pytest.mark.parametrize(
    ("dataset", "field", "expected"),
    [
        ("grid.person", "id_number", C.NONE),
        ("grid.person", "phone", C.NONE),
        ("grid.person", "other_phone", C.NONE),
        ("grid.person", "religion", C.NONE),
        ("grid.person", "ethnicity", C.ON_REQUEST),
        ("grid.house", "owner_phone", C.NONE),
        ("community.servicerequest", "walk_in_phone", C.NONE),
        ("open311.open311request", "email", C.NONE),
        ("hotline.workorder", "caller_phone", C.NONE),
        ("grid.area", "code", C.OPEN),
        ("grid.area", "boundary", C.OPEN),
        ("cases.arearollup", "received", C.OPEN),
    ],
)
def test_defaults_keep_personal_data_closed_and_geography_open(demo, dataset, field, expected):
    row = DatasetField.objects.get(dataset__key=dataset, name=field)

    assert row.sharing_class == expected
    assert row.reason


def test_code_tables_and_standards_are_named(demo):
    catalogue.sync()  # names the district, made after the migrations, as responsible
    ethnicity = DatasetField.objects.get(dataset__key="grid.person", name="ethnicity")
    id_number = DatasetField.objects.get(dataset__key="grid.person", name="id_number")

    assert (ethnicity.code_table, ethnicity.standard) == ("ethnicity", "GB/T 3304-1991")
    assert id_number.standard == "GB 11643-1999"
    assert Dataset.objects.get(key="grid.person").owner_area.level == 1


def test_a_class_change_is_kept_as_history(demo, admin_user):
    dataset = Dataset.objects.get(key="grid.person")
    field = dataset.fields.get(name="ethnicity")

    change = catalogue.change_class(
        dataset, field=field, to_class=C.NONE, reason="民族属敏感信息", actor=admin_user
    )

    field.refresh_from_db()
    assert field.sharing_class == C.NONE
    assert (change.actor, change.from_class, change.to_class, change.reason) == (
        admin_user, C.ON_REQUEST, C.NONE, "民族属敏感信息",
    )  # fmt: skip
    assert change.at is not None
    with pytest.raises(ValueError, match="append-only"):
        change.save()


def test_only_administrators_change_classes(demo):
    dataset = Dataset.objects.get(key="grid.area")
    grid1 = get_user_model().objects.get(username="grid1")

    with pytest.raises(PermissionDenied):
        catalogue.change_class(dataset, field=None, to_class=C.NONE, reason="x", actor=grid1)
    assert not ClassChange.objects.exists()


def test_a_field_is_never_opened_beyond_its_dataset(demo, admin_user):
    dataset = Dataset.objects.get(key="grid.person")

    with pytest.raises(ValidationError) as refused:
        catalogue.change_class(
            dataset,
            field=dataset.fields.get(name="name"),
            to_class=C.OPEN,
            reason="",
            actor=admin_user,
        )

    assert set(refused.value.message_dict) == {"sharing_class", "reason"}
    assert not ClassChange.objects.exists()


def test_the_catalogue_page_lists_datasets_with_classes(client, demo):
    client.force_login(get_user_model().objects.get(username="grid1"))

    response = client.get("/datagov/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-dataset="grid.person"' in page
    assert "实有人口" in page
    assert "普遍共享" in page


def test_an_administrator_changes_a_class_on_the_dataset_page(client, make_user, demo):
    admin = make_user("dataadmin", role=Post.Role.ADMIN, area=demo)
    client.force_login(admin)

    response = client.post(
        "/datagov/grid.person/",
        {"field": "education", "sharing_class": C.NONE, "reason": "按部门意见收紧"},
    )

    assert response.status_code == 302
    page = client.get("/datagov/grid.person/").content.decode()
    assert "按部门意见收紧" in page
    assert ClassChange.objects.get().field.name == "education"


def test_staff_who_are_not_administrators_may_not_post_a_change(client, demo):
    client.force_login(get_user_model().objects.get(username="grid1"))

    response = client.post(
        "/datagov/grid.person/", {"field": "", "sharing_class": C.OPEN, "reason": "x"}
    )

    assert response.status_code == 403
    assert not ClassChange.objects.exists()


def test_a_bad_change_answers_400_beside_the_field(client, demo, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/datagov/grid.person/",
        {"field": "name", "sharing_class": C.OPEN, "reason": "公开"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "cannot be shared more openly than its dataset" in response.content.decode()
    assert not ClassChange.objects.exists()


def test_the_read_api_describes_a_dataset_and_its_history(login, demo, admin_user):
    dataset = Dataset.objects.get(key="grid.person")
    catalogue.change_class(
        dataset, field=None, to_class=C.NONE, reason="暂停共享", actor=admin_user
    )

    body = login("grid1").get("/api/datagov/datasets/grid.person/").json()

    assert body["sharing_class"] == C.NONE
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["ethnicity"]["effective_class"] == C.NONE  # its dataset is stricter
    assert body["changes"][0]["reason"] == "暂停共享"
    assert body["changes"][0]["actor"] == "admin"


def test_the_read_api_needs_a_login(client, demo):
    assert client.get("/api/datagov/datasets/").status_code in (401, 403)


def test_the_periodic_count_fills_record_counts_and_population(demo, family):
    catalogue.count_records()

    persons = Dataset.objects.get(key="grid.person")
    assert persons.record_count == Person.objects.count()
    assert persons.counted_at is not None
    living = Person.objects.filter(status=Person.Status.LIVING).count()
    assert sum(PopulationCount.objects.values_list("persons", flat=True)) == living


def test_the_catalogue_reads_are_a_few_queries_whatever_the_fields(
    client, login, demo, django_assert_max_num_queries
):
    api = login("grid1")
    client.force_login(get_user_model().objects.get(username="grid1"))

    # The session, its user, the navigation's posts; the datasets with their owners.
    with django_assert_max_num_queries(4):
        assert client.get("/datagov/").status_code == 200
    with django_assert_max_num_queries(4):  # the token and its user; datasets; fields
        assert api.get("/api/datagov/datasets/").status_code == 200
    # Session, user, posts; the dataset, its fields, its history; whether the user may change.
    with django_assert_max_num_queries(7):
        assert client.get("/datagov/grid.person/").status_code == 200


def test_the_count_command_counts(demo, family):
    from django.core.management import call_command

    call_command("count_records", stdout=io.StringIO())

    assert Dataset.objects.get(key="grid.household").record_count == 1
