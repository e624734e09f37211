"""/open311/v2/: GeoReport v2 (docs/open311.md). Every resource takes its format as the extension
of its URL (.xml or .json); anything else under the prefix is a 404 in the specification's shape."""

from django.urls import path, re_path

from open311 import views

FORMAT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    re_path(r"^v2/discovery" + FORMAT, views.Discovery.as_view(), name="open311-discovery"),
    re_path(r"^v2/services" + FORMAT, views.ServiceList.as_view(), name="open311-services"),
    re_path(
        r"^v2/services/(?P<code>[^/]{1,100}?)" + FORMAT,
        views.ServiceDefinition.as_view(),
        name="open311-service",
    ),
    re_path(r"^v2/requests" + FORMAT, views.Requests.as_view(), name="open311-requests"),
    re_path(
        r"^v2/requests/(?P<request_id>[^/]{1,100}?)" + FORMAT,
        views.RequestDetail.as_view(),
        name="open311-request",
    ),
    re_path(
        r"^v2/tokens/(?P<token>[^/]{1,100}?)" + FORMAT, views.Token.as_view(), name="open311-token"
    ),
    path("contact/<int:pk>/", views.Contact.as_view(), name="open311-contact"),
    re_path(r"^v2/", views.Unknown.as_view(), name="open311-unknown"),
]
