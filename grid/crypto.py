"""Personal data at rest: the data keys, the encrypted field and the batched re-encryption.

The personal fields datagov/inventory.py classes 不共享 (ID numbers, phones, religion, a hotline
caller's name, an Open311 reporter's contact) are `EncryptedCharField`s. Python code reads and
writes them as plain text; the database holds

    enc:v1:<key id>:<urlsafe base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)>

AES-256-GCM from `cryptography`, with the field's identity (`grid.person.phone`) as associated
data, so a value copied into another column does not decrypt. Empty values stay empty.

The keys come from the environment: SANHUA_DATA_KEYS (settings.DATA_KEYS) lists `id:base64 key`
entries; the first encrypts, every one decrypts, so a key is rotated by putting a new one first
and running `manage.py rotate_data_key`, which re-encrypts row by row in short batches
(`reencrypt_model`) while the application keeps reading the rows that still carry the old one.
The same function encrypts the rows written before the field was encrypted (grid migration
0009): a value without the `enc:` prefix reads as it is, so an upgrade half done still works.

Ciphertext cannot be searched: the field refuses every lookup but `isnull` and `= ''`, so no
filter silently compares against ciphertext. Exact-ID lookups go through Person.id_digest.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Callable, Iterable
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection as default_connection
from django.db import models, transaction
from django.db.models.lookups import Exact, IsNull

PREFIX = "enc:"
VERSION = "v1"
NONCE_BYTES = 12
BATCH_SIZE = 2000


class DecryptionError(Exception):
    """A stored value that cannot be read: its key is not configured, or it was altered."""


class Keyring(NamedTuple):
    current: str  # the id of the key that encrypts
    keys: dict[str, AESGCM]  # every key that decrypts, by id


def parse_keys(entries: Iterable[str]) -> Keyring:
    """The keyring of SANHUA_DATA_KEYS entries (`id:base64 key`, 32-byte keys, first current)."""
    keys: dict[str, AESGCM] = {}
    current = ""
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id or not key_id.isalnum():
            raise ImproperlyConfigured(
                "SANHUA_DATA_KEYS: each entry is `id:base64key` with a letters-and-digits id."
            )
        try:
            key = base64.b64decode(encoded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"SANHUA_DATA_KEYS: the key {key_id!r} is not base64."
            ) from None
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"SANHUA_DATA_KEYS: the key {key_id!r} has {len(key)} bytes; AES-256 needs 32."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"SANHUA_DATA_KEYS: the key id {key_id!r} appears twice.")
        keys[key_id] = AESGCM(key)
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured("SANHUA_DATA_KEYS holds no key.")
    return Keyring(current, keys)


@functools.lru_cache(maxsize=8)
def _keyring(entries: tuple[str, ...]) -> Keyring:
    return parse_keys(entries)


def keyring() -> Keyring:
    """The keyring of the settings (parsed once per distinct setting)."""
    entries = settings.DATA_KEYS
    if isinstance(entries, str):
        entries = entries.split(",")
    return _keyring(tuple(entries))


def check_data_keys(app_configs=None, **kwargs) -> list[checks.Error]:
    """A system check (grid/apps.py): a malformed SANHUA_DATA_KEYS stops `manage.py check`
    and every process at start, not at the first personal field read."""
    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="grid.E001")]
    return []


def new_key() -> str:
    """A fresh random 32-byte key, base64 as SANHUA_DATA_KEYS takes it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value is encrypted with; None for a plain (old) value."""
    if not stored.startswith(PREFIX):
        return None
    return stored.split(":", 3)[2] if stored.count(":") >= 3 else ""


def encrypt(value: str, aad: str, *, ring: Keyring | None = None) -> str:
    """The stored form of `value` under the current key; empty stays empty, and a value already
    stored encrypted is left as it is."""
    if not value or value.startswith(PREFIX):
        return value
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.current].encrypt(nonce, value.encode(), aad.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{PREFIX}{VERSION}:{ring.current}:{token}"


def decrypt(stored: str, aad: str, *, ring: Keyring | None = None) -> str:
    """The plain value of a stored one. A value without the prefix is one written before its
    field was encrypted and reads as it is; one that cannot be decrypted raises, never returns
    garbage."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    parts = stored.split(":", 3)
    if len(parts) != 4 or parts[1] != VERSION:
        raise DecryptionError(f"{aad}: a stored value is not in the {VERSION} format.")
    key_id, token = parts[2], parts[3]
    ring = ring or keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(
            f"{aad}: a value is encrypted with data key {key_id!r}, which SANHUA_DATA_KEYS does "
            "not hold (keep an old key in the list until rotate_data_key has finished)."
        )
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        plain = key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(
            f"{aad}: a value does not decrypt with data key {key_id!r}: the key under that id "
            "is not the one it was written with, or the value was altered."
        ) from None
    return plain.decode()


class _EmptyExact(Exact):
    """`field = ''` (and `field = None`): the only comparison ciphertext allows, since an empty
    value is stored empty. Any other value would be compared with ciphertext and never match."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.aad} is encrypted: it can only be compared with ''. "
                "Find persons by ID number through registry.find_by_id_number (id_digest)."
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):
    """A CharField stored encrypted (a text column): reads decrypt, writes encrypt, lookups
    other than isnull and `= ''` raise. `max_length` bounds the plain value, as forms check."""

    description = "Text encrypted at rest"

    @property
    def aad(self) -> str:
        """The field's identity, bound into every value as associated data."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def db_type(self, connection):
        return "text"  # ciphertext is longer than the plain value and needs no bound

    def cast_db_type(self, connection):
        return "text"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value, self.aad)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value, self.aad)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EmptyExact
        raise FieldError(
            f"{self.aad} is encrypted: it cannot be filtered with `{lookup_name}`. "
            "Exact ID-number lookups go through registry.find_by_id_number (id_digest)."
        )

    def get_transform(self, lookup_name):
        return None  # no lower(), no substring: they would run on ciphertext


def encrypted_fields(model) -> list[EncryptedCharField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def encrypted_models(app_models: Iterable) -> list:
    """The models (of an app registry's get_models()) that have an encrypted field."""
    return [model for model in app_models if encrypted_fields(model)]


class Progress(NamedTuple):
    table: str
    done: int  # rows re-encrypted so far
    last_id: int


def stale_condition(
    columns: list[str], current: str | None, quote: Callable[[str], str]
) -> tuple[str, list[str]]:
    """SQL and its parameters: a row with a non-empty value not encrypted with the current key
    (`current` None: a row with an encrypted value, to decrypt)."""
    if current is None:
        sql = " OR ".join(f"{quote(c)} LIKE %s" for c in columns)
        return f"({sql})", [f"{PREFIX}%"] * len(columns)
    pattern = f"{PREFIX}{VERSION}:{current}:%"
    sql = " OR ".join(f"({quote(c)} <> '' AND {quote(c)} NOT LIKE %s)" for c in columns)
    return f"({sql})", [pattern] * len(columns)


def count_stale(model, *, connection=None) -> int:
    """How many rows of `model` hold a value not encrypted with the current key."""
    connection = connection or default_connection
    fields = encrypted_fields(model)
    if not fields:
        return 0
    quote = connection.ops.quote_name
    condition, params = stale_condition([f.column for f in fields], keyring().current, quote)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {quote(model._meta.db_table)} WHERE {condition}", params
        )
        return cursor.fetchone()[0]


def reencrypt_model(
    model,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    connection=None,
    report: Callable[[Progress], None] | None = None,
    to_plain: bool = False,
) -> int:
    """Encrypt every value of `model`'s encrypted fields with the current key: plain values
    written before the field was encrypted, and values under an older key. Batch by batch in
    id order, each batch its own short transaction whose rows are locked (FOR UPDATE SKIP
    LOCKED on PostgreSQL), so the application keeps reading and writing meanwhile and a row
    being edited is left for the next pass rather than overwritten with its old value. Safe to
    stop at any moment and to run again: done rows no longer match. `model` may be a
    migration's historical model. Returns the number of rows re-encrypted. `to_plain` decrypts
    instead (the migration's way back)."""
    connection = connection or default_connection
    fields = encrypted_fields(model)
    if not fields:
        return 0
    ring = keyring()
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = [f.column for f in fields]
    condition, params = stale_condition(columns, None if to_plain else ring.current, quote)

    def convert(value: str, field: EncryptedCharField) -> str:
        plain = decrypt(value, field.aad, ring=ring)
        return plain if to_plain else encrypt(plain, field.aad, ring=ring)

    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    select = (
        f"SELECT {pk}, {', '.join(map(quote, columns))} FROM {table}"
        f" WHERE {pk} > %s AND {condition} ORDER BY {pk} LIMIT %s{lock}"
    )
    done, batches = 0, 0
    while max_batches is None or batches < max_batches:
        last_id, found = 0, 0
        # A pass over the table; rows locked by someone else are skipped and caught by the next.
        while max_batches is None or batches < max_batches:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(select, [last_id, *params, batch_size])
                rows = cursor.fetchall()
                if not rows:
                    break
                updates = [
                    (row[0], *(
                        convert(value, f) if value else value
                        for f, value in zip(fields, row[1:], strict=True)
                    ))
                    for row in rows
                ]  # fmt: skip
                _update_rows(cursor, connection, table, pk, columns, updates)
            found += len(rows)
            done += len(rows)
            batches += 1
            last_id = rows[-1][0]
            if report:
                report(Progress(model._meta.db_table, done, last_id))
        if not found:
            break
    return done


def _update_rows(cursor, connection, table, pk, columns, updates) -> None:
    """One statement for a batch on PostgreSQL (UPDATE … FROM unnest of one array a column),
    executemany elsewhere."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        arrays = ", ".join(["%s::bigint[]", *["%s::text[]"] * len(columns)])
        names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
        sets = ", ".join(f"{quote(c)} = v.c{i}" for i, c in enumerate(columns))
        cursor.execute(
            f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names})"
            f" WHERE t.{pk} = v.id",
            [list(values) for values in zip(*updates, strict=True)],
        )
        return
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    cursor.executemany(
        f"UPDATE {table} SET {sets} WHERE {pk} = %s", [(*u[1:], u[0]) for u in updates]
    )
