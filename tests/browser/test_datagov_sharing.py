"""Issue 16's data-sharing story in a real browser: the transport bureau (区交通运输局) requests
the households of 黄埔花园社区 for a stated purpose, the community approves a narrowed grant
(two of the three fields, one grid), the bureau reads exactly the granted fields, and the
supervisor's access review shows each read with the grant.
Screenshots: test-artifacts/screenshots/datagov-sharing-*.png."""

import pytest
from playwright.sync_api import expect

from datagov.models import Grant, SharingRequest
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db(transaction=True)
admin_user, family, neighbour = (
    registry_fixtures.admin_user,
    registry_fixtures.family,
    registry_fixtures.neighbour,
)


def _as(page, sign_in, username):
    page.context.clear_cookies()
    sign_in(page.context, username)


def test_a_department_requests_the_community_narrows_and_every_read_is_reviewed(
    live_server, page, sign_in, screenshot, family, neighbour, home_community, home_grids
):
    url = live_server.url

    # The bureau asks for three fields of the community's households.
    _as(page, sign_in, "transport")
    page.goto(f"{url}/datagov/requests/")
    page.locator("[data-new-request]").click()
    form = page.locator("[data-request-form]")
    for name in ("number", "kind", "registered_address"):
        form.locator(f"input[name=fields][value={name}]").check()
    form.locator("textarea[name=purpose]").fill("公交站点优化调研：核对社区住户分布")
    form.locator("select[name=area]").select_option(str(home_community.pk))
    screenshot(page, "datagov-sharing-request")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-status]")).to_have_text("待审批")
    request = SharingRequest.objects.get()

    # The community narrows it: two fields, grid1's grid only, with a reason.
    _as(page, sign_in, "community")
    page.goto(f"{url}/datagov/requests/")
    page.locator(f"[data-requests=waiting] [data-request='{request.pk}'] a").click()
    decision = page.locator("[data-decision-form]")
    decision.locator("input[name=fields][value=registered_address]").uncheck()
    decision.locator("select[name=area]").select_option(str(home_grids[0].pk))
    decision.locator("input[name=reason]").fill("仅提供第1网格的户号和户别")
    screenshot(page, "datagov-sharing-decision")
    decision.locator("button[type=submit]").click()
    expect(page.locator("[data-status]")).to_have_text("已缩小范围同意")
    grant = Grant.objects.get()

    # The bureau reads exactly the granted fields of the granted grid.
    _as(page, sign_in, "transport")
    page.goto(f"{url}/datagov/requests/{request.pk}/")
    page.locator("[data-grant-link]").click()
    records = page.locator("[data-records]")
    expect(records.locator("th[data-column]")).to_have_count(2)
    expect(records.locator("th[data-column=number]")).to_be_visible()
    expect(records.locator("th[data-column=kind]")).to_be_visible()
    expect(records.locator(f"[data-record='{family['household'].pk}']")).to_contain_text("H-0001")
    # The neighbour's household lies in grid2's grid: in the community, not in the grant.
    expect(records.locator(f"[data-record='{neighbour['household'].pk}']")).to_have_count(0)
    screenshot(page, "datagov-sharing-grant")

    # The supervisor's access review shows the read, naming the grant.
    _as(page, sign_in, "supervisor")
    page.goto(f"{url}/datagov/access/?grant={grant.pk}")
    rows = page.locator("[data-access] [data-entry]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(f"[data-grant='{grant.pk}']")).to_have_text(f"授权 #{grant.pk}")
    expect(rows.first).to_contain_text("按授权读取")
    expect(rows.first).to_contain_text("周建国")
    screenshot(page, "datagov-sharing-access-review")
