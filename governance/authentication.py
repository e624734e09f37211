"""The API's token check (REST_FRAMEWORK's first authentication class).

Apart from governance/auth.py because DRF imports it while it loads its own views.
"""

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from governance.models import ApiToken

# "Last used" is kept to the minute: writing it on every request would cost a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's `Authorization: Token …` check in one query: an expired token is deleted and
    refused, and the token's last use is noted (to the minute)."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        now = timezone.now()
        rows = ApiToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
        for row in rows.select_related("user"):
            if not compare_digest(digest, row.digest):
                continue
            if row.expiry is not None and row.expiry <= now:
                row.delete()
                raise exceptions.AuthenticationFailed(_("This token has expired; sign in again."))
            if row.last_used is None or now - row.last_used >= LAST_USED_RESOLUTION:
                ApiToken.objects.filter(pk=row.pk).update(last_used=now)
            return self.validate_user(row)
        raise exceptions.AuthenticationFailed(_("Invalid token."))
