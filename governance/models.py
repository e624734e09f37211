"""Who may call the API: people's sign-in tokens, and the keys of client applications (other
systems). Project-wide rather than a domain app's: every app's API uses them."""

from django.conf import settings
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


class ApiClient(models.Model):
    """Another system that files and follows cases through a door of its own (an Open311 app, the
    12345 hotline), identified by a key rather than a person's sign-in.

    Only a SHA-256 digest of the key is stored, with its first characters (`key_prefix`) to find
    the row; the key itself is shown once, when it is issued (governance/clients.py). The key is
    32 random bytes, so a plain digest is enough: there is nothing to guess. Each client acts as a
    user of its own (`user`, made when the client is), so the history names it as the actor of
    what it did, and it is held to `rate_per_minute` requests.
    """

    class Kind(models.TextChoices):
        OPEN311 = "open311", _("Open311 app")
        HOTLINE = "hotline", _("12345 hotline")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    contact = models.CharField(
        _("contact"), max_length=200, blank=True, help_text=_("Who runs it, and how to reach them.")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    key_prefix = models.CharField(max_length=8, unique=True, editable=False)
    key_digest = models.CharField(max_length=64, editable=False)
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=120)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    key_issued_at = models.DateTimeField(_("key issued"), null=True, editable=False)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("client application")
        verbose_name_plural = _("client applications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
