from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from datagov import api, objection_api, objection_views, views

router = SimpleRouter()
router.register("datasets", api.DatasetViewSet, basename="datagov-dataset-api")
router.register("objections", objection_api.ObjectionViewSet, basename="datagov-objection-api")

urlpatterns = [
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
