"""The signature of a delivery, as docs/webhooks.md tells receivers to check it.

Header `Sanhua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`:
the time is signed with the body, so a receiver refuses a delivery signed too long ago (a
replay) as surely as one whose body was changed. Several v1 values may appear (while a secret
is being changed); one matching is enough.
"""

import hashlib
import hmac
import time

DEFAULT_TOLERANCE = 300  # seconds


class InvalidSignature(Exception):
    pass


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={int(timestamp)},v1={signature(secret, body, timestamp)}"


def verify(
    secret: str, value: str, body: bytes, *, tolerance: float = DEFAULT_TOLERANCE, now=None
) -> int:
    """Check a Sanhua-Signature header `value` against the raw `body`; returns its time.
    Raises InvalidSignature if it is malformed, does not match, or is older (or newer) than
    `tolerance` seconds."""
    timestamp, candidates = None, []
    for part in (value or "").split(","):
        name, _sep, item = part.strip().partition("=")
        if name == "t" and item.isdigit():
            timestamp = int(item)
        elif name == "v1":
            candidates.append(item)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("signature timestamp outside the tolerance")
    expected = signature(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("signature does not match")
    return timestamp
