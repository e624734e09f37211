"""Forms of the party pages. They check shape and offer only rows the user can see; the rules
live in party/services.py, whose errors the views put back next to their field."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.forms import bootstrap_classes
from grid.jurisdiction import restrict
from grid.models import Area, Person
from party.models import PARTY_MEMBER, PROBATIONARY_MEMBER, Activity, Member, Organisation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def visible_organisations(user):
    return restrict(
        Organisation.objects.all(), user, path_field="area__path", department_field="department"
    ).order_by("path")


def _members_of(organisation):
    return (
        Member.objects.filter(
            organisation__path__startswith=organisation.path, person__status=Person.Status.LIVING
        )
        .select_related("person")
        .order_by("person__name", "id")
    )


class PartyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())


class ActivityForm(PartyForm):
    kind = forms.ChoiceField(label=_("kind"), choices=Activity.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=100)
    held_on = forms.DateField(label=_("held on"), widget=DATE)
    hours = forms.DecimalField(label=_("hours"), max_digits=4, decimal_places=1, min_value=0)
    location = forms.CharField(label=_("location"), max_length=100, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("attendees"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _members_of(organisation)
        self.fields["attendees"].label_from_instance = lambda m: m.person.name


class AdmitForm(PartyForm):
    """Admit a resident of the organisation's area whom the registry records as a party member
    (or probationary one) and who is not yet on the party's books."""

    person = forms.ModelChoiceField(label=_("person"), queryset=Person.objects.none())
    status = forms.ChoiceField(label=_("status"), choices=Member.Status.choices)
    joined_on = forms.DateField(label=_("joined the party on"), widget=DATE)

    def __init__(self, *args, organisation: Organisation, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = restrict(
            Person.objects.filter(
                status=Person.Status.LIVING,
                grid__path__startswith=organisation.area.path,
                political_status__in=(PARTY_MEMBER, PROBATIONARY_MEMBER),
                party_member__isnull=True,
            ),
            user,
            path_field="grid__path",
        )
        self.fields["person"].queryset = people.order_by("name", "id")
        self.fields["person"].label_from_instance = lambda p: p.name


class ChildForm(PartyForm):
    kind = forms.ChoiceField(label=_("kind"), choices=Organisation.Kind.choices)
    name = forms.CharField(label=_("name"), max_length=100)
    area = forms.ModelChoiceField(label=_("area"), queryset=Area.objects.none())

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(
            path__startswith=organisation.area.path
        ).order_by("path")
        self.fields["area"].initial = organisation.area_id


class CommitteeForm(PartyForm):
    secretary = forms.ModelChoiceField(label=_("Secretary (书记)"), queryset=Member.objects.none())
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputy secretary (副书记)"), queryset=Member.objects.none(), required=False
    )
    committee = forms.ModelMultipleChoiceField(
        label=_("Committee member (委员)"), queryset=Member.objects.none(), required=False
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("secretary", "deputies", "committee"):
            self.fields[name].queryset = _members_of(organisation)
            self.fields[name].label_from_instance = lambda m: m.person.name


class TransferForm(PartyForm):
    to = forms.ModelChoiceField(label=_("to the organisation"), queryset=None)
    on = forms.DateField(label=_("date"), widget=DATE)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, member: Member, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = visible_organisations(user).exclude(pk=member.organisation_id)
        self.fields["on"].initial = timezone.localdate()


class StatusForm(PartyForm):
    status = forms.ChoiceField(label=_("status"), choices=Member.Status.choices)
    on = forms.DateField(label=_("date"), widget=DATE)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [c for c in Member.Status.choices if c[0] != member.status]
        self.fields["on"].initial = timezone.localdate()
