from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from datagov import access_views, api, objection_api, objection_views, sharing_views, views

router = SimpleRouter()
router.register("datasets", api.DatasetViewSet, basename="datagov-dataset-api")
router.register("objections", objection_api.ObjectionViewSet, basename="datagov-objection-api")
# Sharing requests and grants (issue 16 part 2; docs/datagov.md).
router.register("requests", api.SharingRequestViewSet, basename="datagov-request-api")
router.register("grants", api.GrantViewSet, basename="datagov-grant-api")

# Sharing requests, grants and the access review (issue 16 parts 2 and 6): before the
# dataset route, whose <key> would take "requests" and "access" for dataset keys.
sharing_patterns = [
    path("datagov/requests/", sharing_views.RequestListView.as_view(), name="datagov-requests"),
    path(
        "datagov/requests/new/",
        sharing_views.RequestCreateView.as_view(),
        name="datagov-request-new",
    ),
    path(
        "datagov/requests/<int:pk>/",
        sharing_views.RequestDetailView.as_view(),
        name="datagov-request",
    ),
    path("datagov/grants/<int:pk>/", sharing_views.GrantDetailView.as_view(), name="datagov-grant"),
    path(
        "datagov/grants/<int:pk>/records.csv",
        sharing_views.GrantRecordsCsvView.as_view(),
        name="datagov-grant-csv",
    ),
    path("datagov/access/", access_views.AccessReviewView.as_view(), name="datagov-access"),
    path(
        "datagov/access/export.csv",
        access_views.AccessExportView.as_view(),
        name="datagov-access-csv",
    ),
]

urlpatterns = [
    *sharing_patterns,
    path("datagov/", views.CatalogueView.as_view(), name="datagov-catalogue"),
    # Before the dataset's page, whose key would take "objections".
    path(
        "datagov/objections/",
        objection_views.ObjectionListView.as_view(),
        name="datagov-objections",
    ),
    path(
        "datagov/objections/raise/",
        objection_views.ObjectionRaiseView.as_view(),
        name="datagov-objection-raise",
    ),
    path(
        "datagov/objections/<int:pk>/",
        objection_views.ObjectionDetailView.as_view(),
        name="datagov-objection",
    ),
    path("datagov/<str:key>/", views.DatasetView.as_view(), name="datagov-dataset"),
    path("open-data/", views.OpenDataPageView.as_view(), name="open-data"),
    re_path(
        r"^open-data/statistics\.(?P<fmt>json|csv)$",
        views.OpenStatisticsView.as_view(),
        name="open-data-statistics",
    ),
    path("api/datagov/", include(router.urls)),
]
