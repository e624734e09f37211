from django import template

from datagov.models import SharingClass

register = template.Library()
STYLES = {
    SharingClass.NONE: "danger",
    SharingClass.ON_REQUEST: "warning",
    SharingClass.OPEN: "success",
}


@register.filter
def class_style(value: str) -> str:
    """The Bootstrap colour of a sharing class."""
    return STYLES.get(value, "secondary")


@register.filter
def class_label(value: str) -> str:
    try:
        return SharingClass(value).label
    except ValueError:
        return value
