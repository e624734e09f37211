"""Form styling every app's pages share (the registry's in grid, the cases' in cases)."""

from django import forms
from django.utils.choices import CallableChoiceIterator
from django.utils.html import format_html, format_html_join
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
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DJANGO_EMPTY_LABEL:
                field.empty_label = _blank_label(field)
        elif (
            isinstance(field, forms.ChoiceField)
            # Choices from a callable are left to be read when the select is drawn.
            and not isinstance(field.choices, CallableChoiceIterator)
            and ("", DJANGO_EMPTY_LABEL) in field.choices
        ):
            # A model field with choices and blank=True puts the same dashes first. (Setting
            # choices resets the widget's, so only where there are dashes to replace.)
            field.choices = [
                ("", _blank_label(field)) if choice == ("", DJANGO_EMPTY_LABEL) else choice
                for choice in field.choices
            ]


def _blank_label(field):
    return gettext_lazy("Choose…") if field.required else gettext_lazy("None")


def _attributes(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html writes them: in order, True as a bare name, False not.
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class PlainSelect(forms.Select):
    """Django's select, the same markup, written in Python. Django renders each option through
    two templates: a filter form listing a district's areas and the categories cost the case
    queue a third of its time on every page and every 15-second refresh."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _choices, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)  # optgroups: Django's own
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>\n',
            (
                (str(option["value"]), _attributes(option["attrs"]), option["label"])
                for _name, choices, _index in widget["optgroups"]
                for option in choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attributes(widget["attrs"]),
            options,
        )
