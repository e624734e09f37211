"""Stock phrases (常用语): reasons admins wrote once per step (cases.models.StockPhrase), offered
on the step's form above its reason. Picking one fills the reason (static/console/phrases.js);
the text stays editable, and what is posted is the text as the user left it, so a step records
the edited reason like any other.

Without JavaScript the picker stays hidden and the form is the plain textarea it always was.
The phrases change a few times a year and every case page and department inbox reads them, so
each process keeps them in a memo (grid/memo.py) instead of a query per page.
"""

from collections.abc import Iterable

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from cases.models import StockPhrase
from grid.memo import Memo
from grid.models import Area


def _load() -> list[tuple[str, str, str]]:
    """(action, text, area path or "") of every active phrase, in the admin's order."""
    rows = StockPhrase.objects.filter(is_active=True).order_by("action", "order", "id")
    return [
        (action, text, path or "")
        for action, text, path in rows.values_list("action", "text", "area__path")
    ]


# An area's path is part of a phrase's scope, so editing an area reloads them too.
PHRASES = Memo("stock-phrases", _load, models=(StockPhrase, Area))


def phrases_for(action: str, grid_path: str = "") -> list[str]:
    """The texts offered for `action` on a case in the grid with `grid_path`: the district-wide
    ones and those of an area above (or at) the grid. With no grid, the district-wide ones."""
    return [
        text
        for name, text, path in PHRASES.get()
        if name == action and (not path or (grid_path and grid_path.startswith(path)))
    ]


class PhraseTextarea(forms.Textarea):
    """A textarea with a hidden picker of stock phrases above it; phrases.js shows the picker
    and copies the picked phrase into the textarea. The picker has no name: never posted."""

    def __init__(self, phrases: list[str], attrs=None):
        super().__init__(attrs)
        self.phrases = phrases

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        target = (attrs or {}).get("id") or self.attrs.get("id", "")
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((p, p) for p in self.phrases)
        )
        return format_html(
            '<select class="form-select form-select-sm mb-1" data-phrases-for="{}" '
            'aria-label="{}" hidden><option value="">{}</option>{}</select>{}',
            target,
            _("Stock phrases"),
            _("Stock phrases: pick one to fill in, then edit it"),
            options,
            textarea,
        )


def offer(forms_: Iterable[tuple[str, forms.Form, str]]) -> None:
    """Give the reason field of each (action, form, grid path) the phrases of its step."""
    for action, form, grid_path in forms_:
        field = form.fields.get("reason")
        if field is None or not isinstance(field.widget, forms.Textarea):
            continue
        texts = phrases_for(action, grid_path)
        if texts:
            field.widget = PhraseTextarea(texts, attrs=field.widget.attrs)
