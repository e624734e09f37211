"""Forms of the catalogue and the open statistics: they parse input, the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datagov import openstats
from datagov.models import SharingClass
from governance.forms import bootstrap_classes
from grid.models import Area

EARLIEST_YEAR = 2000


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


class StatisticsQuery:
    """The query of an open-statistics table: `table` and, for the case tables, `year` (a
    calendar year, default this one). The rows are always the district's communities."""

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
        if table_required:  # a download: a parameter it does not know is a mistake, not a filter
            for name in sorted(set(params) - {"table", "year"})[:10]:
                self.errors[name[:40]] = [
                    _("Unknown parameter: a table takes only table and year.")
                ]
        self.area = Area.objects.filter(level=Area.Level.DISTRICT).order_by("pk").first()
        if self.area is None:
            self.errors["area"] = [_("No district has been set up yet.")]
        self.months = self._months(params.get("year"))

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def _months(self, given: str | None):
        this_year = timezone.localdate().year
        if given is None or not given.strip():
            return openstats.Months.of_year(this_year)
        given = given.strip()
        if not (given.isascii() and given.isdigit() and len(given) == 4):
            self.errors["year"] = [_("Give a year as four digits, e.g. 2026.")]
            return None
        if not EARLIEST_YEAR <= int(given) <= this_year:
            self.errors["year"] = [
                _("Statistics are published for the years %(first)d to %(last)d.")
                % {"first": EARLIEST_YEAR, "last": this_year}
            ]
            return None
        return openstats.Months.of_year(int(given))
