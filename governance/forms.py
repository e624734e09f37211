"""Form styling every app's pages share (the registry's in grid, the cases' in cases)."""

from django import forms
from django.utils.translation import gettext_lazy

# What Django puts at the head of a model select when a form gives no label of its own.
DJANGO_EMPTY_LABEL = "---------"


def bootstrap_classes(fields) -> None:
    """Give each field's widget Bootstrap's class for its kind, unless it has one already, and
    each model select a blank choice in words instead of Django's dashes."""
    for field in fields:
        widget = field.widget
        # CheckboxSelectMultiple is a RadioSelect, SelectMultiple a Select: one class each.
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)
        # The dashes read as a glitch on a translated page: a required select asks for a
        # choice, an optional one offers none. A label a form chose itself is kept.
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == DJANGO_EMPTY_LABEL:
            field.empty_label = gettext_lazy("Choose…") if field.required else gettext_lazy("None")
