"""grid/extensions.py: other apps add panels to area pages without grid importing them."""

import pytest

from grid import extensions


@pytest.fixture
def place(monkeypatch):
    """An empty registry for the test, so the real apps' panels stay as they are."""
    monkeypatch.setattr(extensions, "_registry", {p: {} for p in extensions.PLACES})
    return extensions.AREA_PAGE


def test_panels_show_in_the_order_registered_and_those_with_nothing_are_left_out(place):
    extensions.register_panel(place, "a", "a.html", lambda request, area, **extra: {"n": area})
    extensions.register_panel(place, "b", "b.html", lambda request, area, **extra: None)
    extensions.register_panel(place, "c", "c.html", lambda request, area, **extra: extra)

    shown = extensions.panels(place, None, 7, month="2026-03")

    assert shown == [
        {"key": "a", "template": "a.html", "context": {"n": 7}},
        {"key": "c", "template": "c.html", "context": {"month": "2026-03"}},
    ]


def test_registering_a_key_again_replaces_it(place):
    extensions.register_panel(place, "a", "old.html", lambda request, area: {})
    extensions.register_panel(place, "a", "new.html", lambda request, area: {})

    assert [p["template"] for p in extensions.panels(place, None, None)] == ["new.html"]


def test_an_unknown_place_is_refused(place):
    with pytest.raises(ValueError, match="unknown place"):
        extensions.register_panel("sidebar", "a", "a.html", lambda request, area: {})
