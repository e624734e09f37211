"""Objections (数据异议) in a real browser: grid1's worker raises one from a person's page, the
community's staff correct the person on the objection's page, and the person's page then shows
the change in its life events. Screenshots: test-artifacts/screenshots/datagov-objection-*.png."""

import pytest
from playwright.sync_api import expect

from datagov.models import Objection
from tests.grid.conftest import admin_user, family  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_objection_raised_on_a_person_is_resolved_with_history(
    family,  # noqa: F811
    live_server,
    page,
    sign_in,
    screenshot,
):
    head = family["head"]
    person_url = f"{live_server.url}/registry/persons/{head.pk}/"

    # The grid worker objects from the person's page.
    sign_in(page.context, "grid1")
    page.goto(person_url)
    page.locator("[data-objection-toggle]").click()
    form = page.locator("[data-objection-form]")
    expect(form).to_be_visible()
    form.locator("select[name=kind]").select_option("wrong_address")
    form.locator("select[name=fields]").select_option("current_address")
    form.locator("textarea[name=text]").fill("实际住在302室")
    screenshot(page, "datagov-objection-raise")
    form.locator("button[type=submit]").click()

    expect(page.locator(".alert-success")).to_contain_text("已提出异议")
    expect(page.locator("[data-record-objections]")).to_contain_text("实际住在302室")
    objection = Objection.objects.get()

    # The community's staff find it first in their list and correct the person.
    page.context.clear_cookies()
    sign_in(page.context, "community")
    page.goto(f"{live_server.url}/datagov/objections/")
    first = page.locator("[data-objections] tbody tr").first
    expect(first).to_have_attribute("data-objection", str(objection.pk))
    expect(first).to_contain_text("待您处理")
    first.locator("a").first.click()
    expect(page.locator("[data-objection-record]")).to_contain_text(head.name)
    correction = page.locator("[data-correction-form]")
    correction.locator("input[name=correct-current_address]").fill("黄埔花园1栋302")
    correction.locator("textarea[name=correct-resolution]").fill("上门核实")
    correction.locator("button[type=submit]").click()

    expect(page.locator(".alert-success")).to_contain_text("记录已更正")
    expect(page.locator("[data-objection-status]")).to_have_text("已更正")
    expect(page.locator("[data-objection-history]")).to_contain_text("现住址")
    expect(page.locator("[data-record-values]")).to_contain_text("黄埔花园1栋302")
    screenshot(page, "datagov-objection-resolved")

    # The person's own page keeps the change in its history.
    page.locator("[data-objection-record]").click()
    expect(page.locator("body")).to_contain_text("黄埔花园1栋302")
    expect(page.locator("[data-record-objections]")).to_have_count(0)
    head.refresh_from_db()
    assert head.current_address == "黄埔花园1栋302"
    assert head.events.filter(kind="update", actor__username="community").exists()
