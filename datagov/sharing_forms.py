"""Forms of sharing requests and grants: they parse input; datagov/sharing.py decides."""

from django import forms
from django.utils.translation import gettext_lazy

from datagov import sharing
from datagov.catalogue import model_of
from datagov.models import Dataset, SharingClass
from governance.forms import bootstrap_classes
from grid.models import Area

# ISO dates, the only value a browser's date input takes.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

# The rows' own timestamps: no department asks for them (the API still takes them).
BOOKKEEPING = {"created_at", "updated_at"}


def field_label(field) -> str:
    """A field's label for the forms: the catalogue's, or for a link the catalogue labels only
    by its name (a household's `grid`), the linked model's name."""
    if not field.label.isascii():
        return field.label
    model = model_of(field.dataset)
    related = model._meta.get_field(field.name).related_model if model else None
    return str(related._meta.verbose_name) if related is not None else field.label


def requestable_datasets():
    """按需共享 datasets that can be read under a grant."""
    return Dataset.objects.filter(
        sharing_class=SharingClass.ON_REQUEST, key__in=list(sharing.READABLE)
    ).order_by("position", "key")


def _area_choices(queryset) -> list[tuple[int, str]]:
    indent = {Area.Level.STREET: "", Area.Level.COMMUNITY: "　", Area.Level.GRID: "　　"}
    return [
        (area.pk, f"{indent.get(area.level, '')}{area.name}")
        for area in queryset.order_by("path", "code").only("pk", "name", "level", "path")
    ]


class FieldChoice(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class SharingRequestForm(forms.Form):
    """A department's request: the dataset is chosen first (?dataset=), then its fields."""

    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    fields = FieldChoice(label=gettext_lazy("Fields"), required=False)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        max_length=sharing.MAX_PURPOSE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    area = forms.TypedChoiceField(label=gettext_lazy("Area"), coerce=int)
    starts_on = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DATE)

    def __init__(self, *args, dataset, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, d.name) for d in departments]
        # 不共享 fields are not offered (the page lists them apart); the service refuses them.
        self.fields["fields"].choices = [
            (f.name, field_label(f))
            for f in dataset.fields.all()
            if f.effective_class != SharingClass.NONE and f.name not in BOOKKEEPING
        ]
        self.fields["area"].choices = _area_choices(Area.objects.exclude(level=Area.Level.DISTRICT))
        bootstrap_classes(self.fields.values())


class DecisionForm(forms.Form):
    """The owner's decision: approve as asked, approve narrowed, or refuse."""

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve (narrow below if needed)")),
            ("refuse", gettext_lazy("Refuse the request")),
        ],
        widget=forms.RadioSelect,
    )
    fields = FieldChoice(label=gettext_lazy("Fields granted"), required=False)
    area = forms.TypedChoiceField(label=gettext_lazy("Area granted"), coerce=int)
    starts_on = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DATE)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=sharing.MAX_REASON, required=False
    )

    def __init__(self, *args, request, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "decision": "approve",
                "fields": [f.name for f in request.fields.all()],
                "area": request.area_id,
                "starts_on": request.starts_on,
                "ends_on": request.ends_on,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = [
            (f.name, field_label(f))
            for f in request.fields.select_related("dataset").order_by("position", "name")
        ]
        self.fields["area"].choices = _area_choices(
            Area.objects.filter(path__startswith=request.area.path)
        )
        bootstrap_classes(self.fields.values())


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking"), max_length=sharing.MAX_REASON, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())
