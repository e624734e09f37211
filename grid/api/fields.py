"""Input fields the API shares across apps."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grid.lookups import by_id_or_code


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}],
        "description": "An id (a number) or a code (a string)",
    }
)
class IdOrCodeField(serializers.Field):
    """A row named by its id or its code (grid/lookups.py): one of `rows(user)`, the rows the
    requesting user may name (any other reads as nonexistent), or what `find(value)` finds
    (a memo, for the category table every filing reads). Goes out as its code."""

    default_error_messages = {
        "unknown": gettext_lazy("Nothing you can see has the code or id “{value}”."),
    }

    def __init__(self, *, rows=None, find=None, **kwargs):
        self.rows, self.find = rows, find
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.find is not None:
            found = self.find(data)
        else:
            found = by_id_or_code(self.rows(self.context["request"].user), data)
        if found is None:
            self.fail("unknown", value=str(data)[:64])
        return found

    def to_representation(self, row):
        return row.code
