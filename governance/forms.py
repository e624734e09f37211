"""Form styling every app's pages share (the registry's in grid, the cases' in cases)."""

from django import forms


def bootstrap_classes(fields) -> None:
    """Give each field's widget Bootstrap's class for its kind, unless it has one already."""
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
