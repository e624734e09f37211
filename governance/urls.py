"""URLs: the pages, the REST API under /api/, its schema and docs, the admin, health."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
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
    path(
        "redoc/",
        # Redoc draws with styled-components, which add <style> elements, and searches in a
        # worker it makes from a blob: both are allowed on this page only (scripts stay our own
        # files). Its "by Redocly" logo comes from a CDN, which the policy keeps refusing.
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
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
