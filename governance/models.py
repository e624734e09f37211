"""The API's sign-in tokens. Project-wide rather than a domain app's: every app's API uses them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """One API sign-in (django-rest-knox's token, swapped in by KNOX_TOKEN_MODEL).

    Only a SHA-512 digest of the token is stored, with its first characters (`token_key`) to
    find the row: a copy of the table signs nobody in. Each sign-in gets a new token that
    expires `SANHUA_TOKEN_HOURS` after it was issued (not sliding); signing out deletes it.
    The owner sees their tokens by `id`, with the device (`label`, from the User-Agent) and
    when each was last used, never the token itself.
    """

    # A plain number to name a token in GET/DELETE /api/auth/tokens/: the digest is the key
    # knox looks tokens up by, and has no business in a URL.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=128, unique=True)
    label = models.CharField(_("device"), max_length=200, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]
