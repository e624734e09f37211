"""The caller's name and phone are encrypted in the database (grid/crypto.py): a dump of the
work order table shows neither, the work order reads them in clear."""

import pytest
from django.db import connection

from hotline.models import WorkOrder
from tests.hotline.conftest import CALLER

pytestmark = pytest.mark.django_db


def test_the_callers_name_and_phone_are_stored_encrypted(post, order):
    body = order()

    assert post(body).status_code == 201

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT caller_name, caller_phone FROM hotline_workorder WHERE number = %s",
            [body["number"]],
        )
        name, phone = cursor.fetchone()
    assert name.startswith("enc:v1:test:")
    assert phone.startswith("enc:v1:test:")
    assert CALLER["phone"] not in phone
    work_order = WorkOrder.objects.get(number=body["number"])
    assert (work_order.caller_name, work_order.caller_phone) == (CALLER["name"], CALLER["phone"])
