"""Rows named by their id or their code. Wherever the API, a filter or a form takes an area, a
department or a category, it takes either: codes are what people and other systems know
(区交通运输局 is "440112-JT", a community "440112001001"), ids what the API's own answers carry.

One rule for all: a JSON number is an id; a string is a code first, then, if it is all digits,
an id (codes and small ids can look alike: the category "10" is the main class 民生诉求, not the
row with id 10).
"""

MAX_CODE_LENGTH = 64
MAX_ID = 2**63 - 1


def id_or_code(value) -> tuple[str | None, int | None]:
    """The code and the id `value` may name, to be tried in that order (None: not that)."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int):
        return None, value if 0 < value <= MAX_ID else None
    text = str(value).strip()
    if not text or len(text) > MAX_CODE_LENGTH or "\x00" in text:
        return None, None  # nothing has it, and PostgreSQL refuses a NUL in any text
    pk = int(text) if text.isascii() and text.isdecimal() and 0 < int(text) <= MAX_ID else None
    return text, pk


def by_id_or_code(rows, value, *, code_field: str = "code"):
    """The row of the queryset `rows` that `value` names by code or id, or None."""
    code, pk = id_or_code(value)
    found = rows.filter(**{code_field: code}).first() if code is not None else None
    if found is None and pk is not None:
        found = rows.filter(pk=pk).first()
    return found
