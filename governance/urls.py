"""URLs: the pages, the REST API under /api/, its schema and docs, the admin, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from governance import views
from governance.api import router
from governance.auth import LogoutView, ObtainTokenView
from grid.api.views import MeView
from hotline import urls as hotline_urls

api_urls = [
    path("", include(router.urls)),
    # An APIView: it parses with the API's bounded parsers (governance/parsers.py).
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs pages load their start-up script as a file (the Split view), with templates
    # that carry no inline style: the Content-Security-Policy allows only our own files.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Redoc is gone: it fetched its logo from a CDN (refused on an intranet) and needed inline
    # styles and blob workers. Its old address leads to the Swagger UI.
    path("redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True), name="api-redoc"),
]

urlpatterns = [
    path("", include("grid.urls")),
    path("console/", include("cases.console_urls")),
    path("", include("cases.field_urls")),
    path("", include("community.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("cases.urls")),
    path("", include("party.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
    path("api/", include(api_urls)),
    path("open311/", include("open311.urls")),
    path("", include("datagov.urls")),
    path("admin/", admin.site.urls),
]

# The 12345 hotline's door and its console pages (hotline/urls.py).
urlpatterns += [
    path("api/hotline/", include(hotline_urls.api_urlpatterns)),
    path("console/hotline/", include(hotline_urls.console_urlpatterns)),
]
