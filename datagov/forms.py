"""Forms of the catalogue and the open statistics: they parse input, the services decide."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datagov import openstats
from datagov.models import SharingClass
from governance.forms import bootstrap_classes
from grid.models import Area

MONTH = re.compile(r"\d{4}-\d{2}")
EARLIEST = date(2000, 1, 1)


class ClassChangeForm(forms.Form):
    """The class of a dataset (field left empty) or of one of its fields, and why."""

    field = forms.ChoiceField(label=gettext_lazy("Field"), required=False)
    sharing_class = forms.ChoiceField(
        label=gettext_lazy("Sharing class"), choices=SharingClass.choices
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)

    def __init__(self, *args, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", gettext_lazy("The whole dataset"))] + [
            (f.name, f"{f.name} · {f.label}") for f in dataset.fields.all()
        ]
        bootstrap_classes(self.fields.values())


def _month(value: str, name: str, errors: dict) -> date | None:
    value = (value or "").strip()
    if not MONTH.fullmatch(value):
        errors[name] = [_("Give a month as YYYY-MM, e.g. 2026-03.")]
        return None
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12 or not EARLIEST.year <= year <= 2999:
        errors[name] = [_("No such month.")]
        return None
    return date(year, month, 1)


class StatisticsQuery:
    """The query of an open-statistics table: `table`, `area` (the code of the district, a
    street or a community: its children are the rows) and, for the case tables, `from` and `to`
    (months, YYYY-MM, at most 24 of them). `errors` maps each bad parameter to its messages."""

    def __init__(self, params, *, table_required: bool = True):
        self.errors: dict[str, list[str]] = {}
        self.table = (params.get("table") or "").strip()
        if self.table not in openstats.TABLES:
            if self.table or table_required:
                self.errors["table"] = [
                    _("Choose one of the tables: %(tables)s.")
                    % {"tables": ", ".join(openstats.TABLES)}
                ]
            self.table = ""
        self.area = self._area((params.get("area") or "").strip())
        self.months = self._months(params.get("from"), params.get("to"))

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def _area(self, code: str):
        if not code:
            area = Area.objects.filter(level=Area.Level.DISTRICT).order_by("pk").first()
            if area is None:
                self.errors["area"] = [_("No district has been set up yet.")]
            return area
        if len(code) > 20 or not code.isascii() or not code.isalnum():
            self.errors["area"] = [_("An area code has up to 20 letters and digits.")]
            return None
        area = Area.objects.filter(code=code).first()
        if area is None:
            self.errors["area"] = [_("No area has the code “%(code)s”.") % {"code": code}]
        elif area.level == Area.Level.GRID:
            self.errors["area"] = [
                _("Statistics are published for the district, a street or a community.")
            ]
            area = None
        return area

    def _months(self, start: str | None, end: str | None):
        default = openstats.Months.recent()
        errors: dict[str, list[str]] = {}
        first = _month(start, "from", errors) if start is not None else default.start
        last = _month(end, "to", errors) if end is not None else default.end
        if not errors and first > last:
            errors["to"] = [_("The last month comes before the first.")]
        elif not errors:
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            if months > openstats.MAX_MONTHS:
                errors["to"] = [
                    _("Ask for at most %(n)d months at a time.") % {"n": openstats.MAX_MONTHS}
                ]
        self.errors.update(errors)
        return None if errors else openstats.Months(first, last)
