"""Client applications' keys: issuing one, finding the client a key belongs to, and the DRF
authentication and rate limit of the doors other systems use (Open311, the 12345 hotline).

A key reads `<prefix>.<secret>`: the prefix finds the row in one indexed query and the digest of
the whole key is compared in constant time, so neither a copy of the table nor timing tells a
key. Keys travel in the `X-Api-Key` header (Open311 clients may put `api_key` in the body or the
query, as its specification says; that door reads it itself and calls client_for_key).
"""

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, throttling

from governance.models import ApiClient

PREFIX_LENGTH = 8
# Writing "last used" on every call would cost a write per call; the minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
HEADER = "HTTP_X_API_KEY"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def register(client: ApiClient) -> str:
    """Save a new client application with the user it acts as, and return its key: shown to the
    admin once and never stored."""
    user = get_user_model().objects.create_user(
        username=f"client:{secrets.token_hex(6)}", first_name=client.name[:150]
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client.user = user
    key = _new_key(client)
    client.save()
    return key


def issue_key(client: ApiClient) -> str:
    """Give `client` a new key (the old one stops working at once); returns it."""
    key = _new_key(client)
    client.save(update_fields=["key_prefix", "key_digest", "key_issued_at"])
    return key


def _new_key(client: ApiClient) -> str:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    client.key_prefix, client.key_digest = prefix, _digest(key)
    client.key_issued_at = timezone.now()
    return key


def client_for_key(key: str | None) -> ApiClient | None:
    """The active client whose key this is, or None; notes its last use (to the minute)."""
    if not key or not isinstance(key, str) or len(key) > 200 or "." not in key:
        return None
    prefix = key.split(".", 1)[0]
    if len(prefix) != PREFIX_LENGTH:
        return None
    client = (
        ApiClient.objects.select_related("user").filter(key_prefix=prefix, is_active=True).first()
    )
    if client is None or not compare_digest(client.key_digest, _digest(key)):
        return None
    now = timezone.now()
    if client.last_used is None or now - client.last_used >= LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used=now)
    return client


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-Api-Key: <key>`: the request acts as the client's user, with the client as
    `request.auth`. A request without the header is left to the other classes (a 401 from the
    view's permission); a wrong key is a 401 at once."""

    def authenticate(self, request):
        key = request.META.get(HEADER)
        if key is None:
            return None
        client = client_for_key(key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        return client.user, client

    def authenticate_header(self, request):
        return "ApiKey"


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client to its own `rate_per_minute` (kept in the cache, like DRF's throttles);
    requests not made with a client key are left to the other throttles."""

    scope = "api_client"

    def get_rate(self):
        return None  # the rate is per client, read in allow_request

    def allow_request(self, request, view):
        client = request.auth if isinstance(request.auth, ApiClient) else None
        if client is None:
            return True
        self.rate = f"{client.rate_per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
