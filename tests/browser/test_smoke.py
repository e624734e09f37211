import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_front_page_renders_in_chinese_in_a_real_browser(live_server, page, screenshot):
    page.goto(live_server.url + "/")

    assert page.locator("h1").inner_text().startswith("三化")
    assert "登录" in page.content()
    screenshot(page, "front-page")
