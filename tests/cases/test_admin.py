"""The admin of cases: reference tables are edited there, workflow rows are only looked at, and
every list is scoped like the rest of the product."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from cases import notifications, services
from cases.models import (
    CalendarDay,
    Callback,
    Case,
    CaseEvent,
    Category,
    Dispatch,
    Notification,
    Supervision,
)
from grid.models import Department

pytestmark = pytest.mark.django_db

MODELS = [Category, CalendarDay, Case, Dispatch, Supervision, Callback, Notification]


@pytest.fixture
def superuser_client(client, user):
    client.force_login(user("admin"))
    return client


@pytest.fixture
def dispatched(file_case, user):
    case = file_case("0802", title="危险化学品隐患")
    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    services.urge_case(case, actor=user("supervisor"), reason="尽快处理")
    case.refresh_from_db()
    return case


@pytest.fixture
def one_of_each(dispatched, file_case, user, photo):
    """A row of every model: the dispatched case, a closed case with a callback, their
    notifications and a calendar day."""
    closed = file_case("0101")
    services.self_resolve_case(closed, actor=user("grid1"), result="已清理", photos=[photo()])
    services.callback_case(closed, actor=user("grid1"), satisfaction=5)
    for event in CaseEvent.objects.all():
        notifications.notify(event.pk)
    CalendarDay.objects.create(day="2030-10-08", is_workday=True, note="调休上班")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_list_and_change_page_opens_for_a_superuser(superuser_client, one_of_each, model):
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    row = model.objects.first()

    assert superuser_client.get(base).status_code == 200
    assert superuser_client.get(f"{base}{row.pk}/change/").status_code == 200


def test_a_case_cannot_be_added_deleted_or_moved_in_the_admin(superuser_client, dispatched):
    base = f"/admin/cases/case/{dispatched.pk}"

    assert superuser_client.get("/admin/cases/case/add/").status_code == 403
    assert superuser_client.get(f"{base}/delete/").status_code == 403
    response = superuser_client.post(
        f"{base}/change/",
        {
            "title": "改过的标题",
            "description": "",
            "address": "",
            "status": "closed",
            "level": 4,
            "version": 99,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    case = Case.objects.get(pk=dispatched.pk)
    assert (case.title, case.status, case.level, case.version) == (
        "改过的标题",
        dispatched.status,
        dispatched.level,
        dispatched.version,
    )
    assert case.events.count() == CaseEvent.objects.filter(case=case).count() == 4


def test_history_and_dispatches_are_read_only_in_the_admin(superuser_client, dispatched):
    lead = dispatched.dispatches.get()

    assert superuser_client.get("/admin/cases/dispatch/add/").status_code == 403
    superuser_client.post(f"/admin/cases/dispatch/{lead.pk}/change/", {"status": "done"})

    lead.refresh_from_db()
    assert lead.status == "pending"


def test_admin_lists_are_scoped_to_the_users_jurisdiction(dispatched, file_case, user, home_grids):
    theirs = file_case("0101", by="grid2", grid=home_grids[1])
    request = RequestFactory().get("/admin/")

    def visible(model, name):
        request.user = user(name)
        return set(admin.site._registry[model].get_queryset(request))

    assert visible(Case, "grid2") == {theirs}
    assert visible(Case, "community") == {dispatched, theirs}
    assert visible(Dispatch, "transport") == set(dispatched.dispatches.all())
    assert visible(Dispatch, "grid2") == set()
    assert visible(Supervision, "grid2") == set()
    # The district-wide reference tables are the superuser's.
    assert visible(Category, "district") == set()
    assert len(visible(Category, "admin")) == Category.objects.count()
