"""Keyset (cursor) pagination over an ordering that ends in a unique key, for the case lists of
the API and of the console.

A page is the rows after the last one shown, in the list's order: the cursor carries that row's
values of the ordering's keys, so a later page is one more range condition, served by the same
index as the first page (OFFSET would read and throw away every row before it), and a case filed
meanwhile neither repeats a row nor skips one. No page counts the whole list.

Orderings no index serves (the queue's "most urgent first") page the same way, over (their keys,
id): correct, but each page sorts the rows the filters leave.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Key:
    """One key of an ordering: a field (or an annotation, with `field` saying its type), its
    direction, and for a column that may be NULL where its NULLs go ("last" or "first")."""

    name: str
    descending: bool = False
    nulls: str | None = None
    field: models.Field | None = None

    def reversed(self) -> "Key":
        nulls = {"last": "first", "first": "last"}.get(self.nulls)
        return Key(self.name, not self.descending, nulls, self.field)

    def order(self):
        expression = F(self.name)
        placement = {"nulls_last": True} if self.nulls == "last" else {}
        if self.nulls == "first":
            placement = {"nulls_first": True}
        return expression.desc(**placement) if self.descending else expression.asc(**placement)

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def beyond(self, value) -> Q:
        """Rows whose key comes strictly after `value` in this key's order."""
        if value is None:
            # NULLs last: nothing comes after them; NULLs first: every value does.
            return NOTHING if self.nulls != "first" else Q(**{f"{self.name}__isnull": False})
        beyond = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nulls == "last":
            beyond |= Q(**{f"{self.name}__isnull": True})
        return beyond

    def from_here(self, value) -> Q:
        """The range of an index on this key that holds the rows from `value` on (implied by
        the condition of Ordering.after; written out so the database can start the index scan
        there). Nothing to add for a key that may be NULL."""
        if self.nulls is not None:
            return Q()
        return Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Ordering:
    """The order of a list: keys, the last unique (the id), so every row has its own place."""

    keys: tuple[Key, ...]

    def reversed(self) -> "Ordering":
        return Ordering(tuple(key.reversed() for key in self.keys))

    def apply(self, queryset):
        return queryset.order_by(*(key.order() for key in self.keys))

    def after(self, values) -> Q:
        """Rows that come strictly after the row with these key values: for keys (a, b, id),
        a beyond, or a equal and b beyond, or a and b equal and id beyond."""
        branches, equal = [], Q()
        for key, value in zip(self.keys, values, strict=True):
            branches.append(equal & key.beyond(value))
            equal &= key.equal(value)
        return self.keys[0].from_here(values[0]) & reduce(or_, branches)

    def page(self, queryset, cursor: str | None, size: int):
        """(rows, cursor of the next page or None): the page after `cursor` (the first page
        without one), reading one row more than it shows to know whether another page follows."""
        rows = self.apply(queryset)
        if cursor:
            rows = rows.filter(self.after(self.decode(cursor, queryset.model)))
        rows = list(rows[: size + 1])
        following = self.cursor(rows[size - 1]) if len(rows) > size else None
        return rows[:size], following

    # The cursor: the key values of a row, as URL-safe text

    def values_of(self, row) -> list:
        return [getattr(row, key.name) for key in self.keys]

    def cursor(self, row) -> str:
        return encode(self.values_of(row))

    def decode(self, cursor: str, model) -> list:
        """The key values in `cursor`, checked against the keys' types; InvalidCursor for
        anything that is not a cursor of this ordering (edited, truncated, another sort's)."""
        values = decode(cursor)
        if not isinstance(values, list) or len(values) != len(self.keys):
            raise InvalidCursor(cursor)
        parsed = []
        for key, value in zip(self.keys, values, strict=True):
            if value is None:
                if key.nulls is None:
                    raise InvalidCursor(cursor)
                parsed.append(None)
                continue
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise InvalidCursor(cursor)
            parsed.append(_parse(key, model, value, cursor))
        return parsed


def _parse(key: Key, model, value, cursor: str):
    try:
        field = key.field or model._meta.get_field(key.name)
    except FieldDoesNotExist:
        field = models.IntegerField()
    if field.primary_key or isinstance(field, models.IntegerField | models.AutoField):
        if not isinstance(value, int) or abs(value) >= 2**63:
            raise InvalidCursor(cursor)
        return value
    try:
        parsed = field.to_python(value)
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise InvalidCursor(cursor) from exc
    if parsed is None:
        raise InvalidCursor(cursor)
    return parsed


def _exact(value):
    # Times to the microsecond: DjangoJSONEncoder's milliseconds would skip the rows filed
    # within the same millisecond as the last one shown.
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a key value")


def encode(values: list) -> str:
    text = json.dumps(values, default=_exact, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc
