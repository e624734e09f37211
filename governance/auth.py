"""Signing in to the API, and the lock-out after too many failed sign-ins.

- POST /api/auth/token/ `{"username", "password"}` → `{"token", "expiry"}`: a new token per
  sign-in (django-rest-knox; only its digest is stored), valid SANHUA_TOKEN_HOURS from issue.
  Clients send it as `Authorization: Token …`.
- POST /api/auth/logout/ deletes the token the request was made with.
- GET /api/auth/tokens/ lists the caller's unexpired tokens (issued, expiry, last used, device;
  never the token); DELETE /api/auth/tokens/{id}/ deletes one of them.

Failed sign-ins, here and on the login page, are counted by django-axes per user name and per
client address (settings: SANHUA_LOGIN_FAILURES, SANHUA_LOGIN_COOLOFF_MINUTES). A locked-out
sign-in is refused even with the right password: 429 on the API, the login page again with a
message, the same whether the account exists or not.
"""

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.authentication import TokenAuthentication
from governance.clients import ApiKeyAuthentication
from governance.errors import error_body
from governance.models import ApiToken


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return _(
        "Too many failed sign-ins for this account or from this address. "
        "Try again in %(minutes)s minutes."
    ) % {"minutes": minutes}


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self):
        super().__init__(lockout_message())


def _retry_after() -> str:
    return str(int(settings.AXES_COOLOFF_TIME.total_seconds()))


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes answers a locked-out sign-in with (AXES_LOCKOUT_CALLABLE): a 429 with a
    message, as JSON on the API, as the login page with the message elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body(lockout_message(), "locked_out"),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    else:
        # An unbound form: validating one would try (and count) the sign-in once more.
        context = {
            "form": AuthenticationForm(request),
            "locked_out": lockout_message(),
            "next": request.POST.get("next", ""),
        }
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = _retry_after()
    return response


def client_address(request) -> str | None:
    """The client's address for the lock-out (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or behind
    SANHUA_TRUSTED_PROXIES proxies the address the outermost of them saw."""
    proxies = settings.SANHUA_TRUSTED_PROXIES
    if proxies:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class TokenScheme(OpenApiAuthenticationExtension):
    """How the API schema describes our token check: `Authorization: Token …`."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token"
        )


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the API schema describes client applications' keys: `X-Api-Key: …`
    (governance/clients.py)."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


class SignInInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it: never the token itself."""

    device = serializers.CharField(source="label", read_only=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "created", "expiry", "last_used", "device", "current"]

    def get_current(self, token) -> bool:
        """Whether this is the token of the request that lists it."""
        used = self.context["request"].auth
        return isinstance(used, ApiToken) and used.pk == token.pk


class ObtainTokenView(APIView):
    """Sign in with a user name and password; answers a new token and its expiry."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=SignInInput,
        responses={
            200: inline_serializer(
                "SignedIn",
                {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
            ),
            # Its body is the schema's Error, as every error's (governance/schema.py).
            429: OpenApiResponse(
                description=gettext_lazy("Too many failed sign-ins: wait, then retry")
            ),
        },
    )
    def post(self, request):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes reads and flags the Django request, not DRF's wrapper around it.
        django_request = request._request
        user = authenticate(
            django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}
            )
        now = timezone.now()
        ApiToken.objects.filter(user=user, expiry__lte=now).delete()
        token, key = ApiToken.objects.create(
            user, label=request.headers.get("User-Agent", "")[:200], last_used=now
        )
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response({"token": key, "expiry": token.expiry})


class LogoutView(APIView):
    """Sign out: the token this request was made with stops working."""

    authentication_classes = [TokenAuthentication]
    jurisdiction_exempt = "deletes only the token the request was made with"

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        request.auth.delete()
        user = request.user
        user_logged_out.send(sender=user.__class__, request=request._request, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """My unexpired API tokens, newest first; DELETE revokes one (another's is a 404)."""

    jurisdiction_exempt = "the signed-in user's own tokens: rows are filtered to request.user"
    queryset = ApiToken.objects.none()  # the schema's view of it; requests use get_queryset
    serializer_class = TokenSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user, expiry__gt=timezone.now())
