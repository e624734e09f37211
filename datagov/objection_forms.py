"""Forms of the objection pages and the parsing of a correction's values (the API uses the same
form, so a value is read the same way wherever it comes from). Shape only: the rules live in
datagov/objections.py and grid/registry.py."""

import django_filters
from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from datagov import objections
from datagov.models import Objection
from governance.forms import bootstrap_classes
from grid import codes, registry
from grid.filtersets import FilterSet, SubtreeFilter
from grid.registry_filtersets import code_language


class RaiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is wrong"), choices=Objection.Kind.choices)
    fields = forms.MultipleChoiceField(label=_("Fields concerned"), required=False, choices=[])
    text = forms.CharField(
        label=_("Details"), max_length=objections.TEXT_MAX, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args, record_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        model = objections.MODELS[record_type]
        self.fields["fields"].choices = [
            (name, str(model._meta.get_field(name).verbose_name).capitalize())
            for name in objections.objection_fields(record_type)
        ]
        self.fields["fields"].widget.attrs["size"] = 4
        bootstrap_classes(self.fields.values())


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=objections.TEXT_MAX, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())


def _coded(table: str, label) -> forms.ChoiceField:
    language = code_language()
    choices = [
        (entry.code, codes.label(table, entry.code, language)) for entry in codes.TABLES[table]
    ]
    return forms.ChoiceField(label=label, choices=[("", "——"), *choices], required=False)


class CorrectionForm(forms.Form):
    """How the record is corrected, and its new values (every correctable field, optional)."""

    correction = forms.ChoiceField(label=_("Correction"), choices=[])
    on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput({"type": "date"}))
    resolution = forms.CharField(
        label=_("Note"),
        max_length=objections.TEXT_MAX,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )

    LABELS = {
        objections.UPDATE: _("Correct the values"),
        objections.MOVE_OUT: _("Record that the person moved out"),
        objections.DEATH: _("Record the person's death"),
    }

    def __init__(self, *args, record_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_type = record_type
        self.fields["correction"].choices = [
            (key, self.LABELS[key]) for key in objections.CORRECTIONS[record_type]
        ]
        self.value_names = list(objections.correctable_fields(record_type))
        model = objections.MODELS[record_type]
        for name, field in fields_for_model(model, fields=self.value_names).items():
            if name in registry.CODED_FIELDS:
                field = _coded(registry.CODED_FIELDS[name], field.label)
            field.required = False
            self.fields[name] = field
        bootstrap_classes(self.fields.values())

    def step_fields(self):
        return [self["correction"], self["on"], self["resolution"]]

    def value_fields(self):
        return [self[name] for name in self.value_names]

    def changes(self) -> dict:
        """The new values given (a field left out of the submission is not changed)."""
        given = self.data.keys()
        return {
            name: self.cleaned_data[name]
            for name in self.value_names
            if self.add_prefix(name) in given
        }


class ObjectionFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=Objection.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Objection.Kind.choices)
    record_type = django_filters.ChoiceFilter(
        label=_("record type"), choices=Objection.RecordType.choices
    )
    area = SubtreeFilter(path_field="grid__path", label=_("area (and below)"))

    class Meta:
        model = Objection
        fields = ["status", "kind", "record_type", "area"]
