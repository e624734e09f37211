"""The console's forms for answering the hotline: shape only; the services say what each answer
needs (hotline/services.py) and their messages come back beside the fields."""

from django import forms
from django.utils.translation import gettext_lazy

from cases import limits
from cases.console_forms import LocalDateTimeInput
from cases.forms import BootstrapForm, text_field


class SignForm(BootstrapForm):
    pass


class ReturnForm(BootstrapForm):
    reason = text_field(gettext_lazy("Why it is not ours"), max_length=limits.REASON)


class ExtensionForm(BootstrapForm):
    until = forms.DateTimeField(
        label=gettext_lazy("New deadline asked for"),
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)
