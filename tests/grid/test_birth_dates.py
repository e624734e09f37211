"""A birth date in the future is refused on a person, by the registry services and the person
API, even where a resident ID number's own birth date would replace it."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grid import registry
from grid.models import Person
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_the_service_refuses_a_future_birth_date_given_with_a_resident_id_number(family):
    with pytest.raises(ValidationError) as refused:
        registry.clean_person(
            {
                "name": "陈小红",
                "id_number": resident_id(date(2008, 1, 1), 42),
                "birth_date": timezone.localdate() + timedelta(days=1),
            }
        )

    assert list(refused.value.message_dict) == ["birth_date"]


def test_changing_a_residents_birth_date_to_the_future_is_a_400_and_changes_nothing(login, family):
    head = family["head"]

    response = login("grid1").patch(
        f"/api/persons/{head.pk}/",
        {"birth_date": tomorrow()},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"birth_date": ["The birth date is in the future."]}
    assert Person.objects.get(pk=head.pk).birth_date == head.birth_date


def test_registering_a_resident_with_a_future_birth_date_is_a_400_in_chinese(login, family):
    response = login("grid1").post(
        "/api/persons/",
        {
            "name": "陈小红",
            "id_number": resident_id(date(2008, 1, 1), 42),
            "birth_date": tomorrow(),
            "household": family["household"].pk,
            "relation": "30",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"birth_date": ["出生日期晚于今天。"]}
    assert not Person.objects.filter(name="陈小红").exists()


def test_a_birth_date_of_today_is_taken(family, admin_user):
    person = registry.register_person(
        actor=admin_user,
        household=family["household"],
        relation="30",
        name="陈小小",
        sex="2",
        birth_date=timezone.localdate(),
    )

    assert person.birth_date == timezone.localdate()
