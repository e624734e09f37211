"""The pages of sharing requests and grants, and the access review (访问审查): who revealed,
exported or read personal data under which grant, for the auditors and the data owners only."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from datagov import sharing
from datagov.models import Dataset, Grant, SharingRequest
from grid import registry
from grid.models import AccessAlert, AuditEntry, Department
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db
neighbour = registry_fixtures.neighbour


def _user(username):
    return get_user_model().objects.get(username=username)


def _page(username) -> Client:
    client = Client()
    client.force_login(_user(username))
    return client


@pytest.fixture
def grant(home_grids, family):
    """The transport bureau's grant of household numbers and kinds in grid1's grid."""
    today = timezone.localdate()
    request = sharing.submit(
        actor=_user("transport"), dataset=Dataset.objects.get(key="grid.household"),
        field_names=["number", "kind", "registered_address"], purpose="公交站点优化调研",
        area=home_grids[0].parent, starts_on=today, ends_on=today + timedelta(days=30),
        department=Department.objects.get(code="440112-JT"),
    )  # fmt: skip
    return sharing.approve(
        request, actor=_user("community"), field_names=["number", "kind"], area=home_grids[0],
        reason="仅需第1网格",
    )  # fmt: skip


def test_a_department_requests_through_the_page(home_community):
    client = _page("transport")
    today = timezone.localdate()

    form = client.get("/datagov/requests/new/?dataset=grid.household")
    response = client.post(
        "/datagov/requests/new/",
        {
            "dataset": "grid.household", "department": Department.objects.get(code="440112-JT").pk,
            "fields": ["number", "kind"], "purpose": "公交站点优化调研", "area": home_community.pk,
            "starts_on": today, "ends_on": today + timedelta(days=10),
        },
    )  # fmt: skip

    assert form.status_code == 200
    assert "身份证" not in form.content.decode().split("data-request-form")[1].split("不共享")[0]
    request = SharingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/datagov/requests/{request.pk}/"
    assert request.area == home_community


def test_the_request_form_names_each_bad_field(home_community):
    response = _page("transport").post(
        "/datagov/requests/new/",
        {"dataset": "grid.household", "department": Department.objects.get(code="440112-JT").pk,
         "purpose": "", "area": home_community.pk},
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-error-for="purpose"' in page
    assert 'data-error-for="fields"' in page
    assert not SharingRequest.objects.exists()


def test_the_owner_narrows_on_the_page_and_the_department_reads_the_grant(home_grids, family):
    today = timezone.localdate()
    request = sharing.submit(
        actor=_user("transport"), dataset=Dataset.objects.get(key="grid.household"),
        field_names=["number", "kind"], purpose="调研", area=home_grids[0].parent,
        starts_on=today, ends_on=today + timedelta(days=5),
        department=Department.objects.get(code="440112-JT"),
    )  # fmt: skip

    decided = _page("community").post(
        f"/datagov/requests/{request.pk}/",
        {"decision": "approve", "fields": ["number"], "area": home_grids[0].pk,
         "starts_on": today, "ends_on": today + timedelta(days=5), "reason": "只需户号"},
    )  # fmt: skip
    grant = Grant.objects.get()
    page = _page("transport").get(f"/datagov/grants/{grant.pk}/")

    assert decided.status_code == 302
    assert grant.request.status == SharingRequest.Status.NARROWED
    html = page.content.decode()
    assert 'data-column="number"' in html
    assert 'data-column="kind"' not in html
    assert f'data-record="{family["household"].pk}"' in html
    assert AuditEntry.objects.filter(detail=grant.label, actor__username="transport").count() == 1


def test_other_departments_and_outsiders_get_404_on_the_pages(grant):
    for username in ("construction", "grid2"):
        assert _page(username).get(f"/datagov/grants/{grant.pk}/").status_code == 404
        assert _page(username).get(f"/datagov/requests/{grant.request_id}/").status_code == 404


def test_the_csv_download_is_one_audited_export(grant, family):
    response = _page("transport").get(f"/datagov/grants/{grant.pk}/records.csv")

    assert response.status_code == 200
    assert response.content.decode("utf-8").startswith("\ufeff")
    assert "H-0001" in response.content.decode("utf-8")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.detail == f"{grant.label}: 1 records, csv"


def test_the_owner_revokes_on_the_page_and_reading_stops(grant):
    _page("community").post(f"/datagov/grants/{grant.pk}/", {"reason": "调研结束"})

    page = _page("transport").get(f"/datagov/grants/{grant.pk}/")

    assert Grant.objects.get(pk=grant.pk).revoked_at is not None
    assert "data-refusal" in page.content.decode()
    assert _page("transport").get(f"/datagov/grants/{grant.pk}/records.csv").status_code == 403


def _reads(grant, family):
    sharing.audit_reads(
        grant, actor=_user("transport"), records=[family["household"]],
        fields=sharing.shown_fields(grant),
    )  # fmt: skip
    registry.reveal(family["head"], actor=_user("community"), purpose="visit")


def test_the_supervisor_reviews_reveals_and_reads_under_grants(grant, family):
    _reads(grant, family)

    response = _page("supervisor").get("/datagov/access/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-entry=") == 2
    assert 'data-action="reveal"' in html
    assert f'data-grant="{grant.pk}"' in html


def test_the_data_owner_sees_only_reads_under_grants_of_its_areas(grant, family):
    _reads(grant, family)

    html = _page("community").get("/datagov/access/").content.decode()

    assert html.count("data-entry=") == 1
    assert 'data-action="view"' in html


@pytest.mark.parametrize("username", ["grid1", "transport"])
def test_anyone_else_gets_404(username):
    assert _page(username).get("/datagov/access/").status_code == 404
    assert _page(username).get("/datagov/access/export.csv").status_code == 404


def test_filters_narrow_the_review(grant, family):
    _reads(grant, family)
    client = _page("supervisor")

    by_grant = client.get(f"/datagov/access/?grant={grant.pk}").content.decode()
    by_actor = client.get("/datagov/access/?actor=community&action=reveal").content.decode()
    nothing = client.get("/datagov/access/?grant=999999").content.decode()
    bad = client.get("/datagov/access/?since=2026-02-30")

    assert by_grant.count("data-entry=") == 1
    assert by_actor.count("data-entry=") == 1
    assert nothing.count("data-entry=") == 0
    assert bad.status_code == 400


def test_the_review_downloads_as_csv_with_a_bom(grant, family):
    _reads(grant, family)

    response = _page("supervisor").get(f"/datagov/access/export.csv?grant={grant.pk}")

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "transport" in lines[1]
    assert grant.label in lines[1]


def test_the_review_pages_by_id_in_a_fixed_number_of_queries(
    grant, family, django_assert_max_num_queries
):
    transport, fields = _user("transport"), sharing.shown_fields(grant)
    for _ in range(60):
        sharing.audit_reads(grant, actor=transport, records=[family["household"]], fields=fields)
    client = _page("supervisor")

    with django_assert_max_num_queries(8):
        first = client.get("/datagov/access/")
    html = first.content.decode()
    assert html.count("data-entry=") == 50
    assert "data-next" in html


def test_alerts_are_listed_for_the_auditors(grant):
    AccessAlert.objects.create(actor=_user("transport"), action="view", limit=5)

    html = _page("supervisor").get("/datagov/access/").content.decode()

    assert "data-alerts" in html


def test_the_review_names_the_fields_in_words(grant, family):
    _reads(grant, family)
    reveal = AuditEntry.objects.get(action="reveal")
    assert "id_number" in reveal.fields  # the log keeps the names

    html = _page("supervisor").get("/datagov/access/").content.decode()

    cell = html.split(f'data-entry="{reveal.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "证件号码" in cell
    assert ">id_number" not in cell
