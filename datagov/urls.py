from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from datagov import api, views

router = SimpleRouter()
router.register("datasets", api.DatasetViewSet, basename="datagov-dataset-api")

urlpatterns = [
    path("datagov/", views.CatalogueView.as_view(), name="datagov-catalogue"),
    path("datagov/<str:key>/", views.DatasetView.as_view(), name="datagov-dataset"),
    path("open-data/", views.OpenDataPageView.as_view(), name="open-data"),
    re_path(
        r"^open-data/statistics\.(?P<fmt>json|csv)$",
        views.OpenStatisticsView.as_view(),
        name="open-data-statistics",
    ),
    path("api/datagov/", include(router.urls)),
]
