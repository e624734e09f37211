from django.urls import path

from grid import import_views, registry_views, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("areas/", views.AreaListView.as_view(), name="area-list"),
    path("areas/<int:pk>/", views.AreaDetailView.as_view(), name="area-detail"),
    path("registry/", registry_views.RegistrySearchView.as_view(), name="registry-search"),
    path(
        "registry/buildings/",
        registry_views.BuildingListView.as_view(),
        name="registry-building-list",
    ),
    path(
        "registry/buildings/<int:pk>/",
        registry_views.BuildingDetailView.as_view(),
        name="registry-building",
    ),
    path(
        "registry/households/<int:pk>/",
        registry_views.HouseholdDetailView.as_view(),
        name="registry-household",
    ),
    path(
        "registry/persons/<int:pk>/",
        registry_views.PersonDetailView.as_view(),
        name="registry-person",
    ),
    path("registry/imports/", import_views.ImportListView.as_view(), name="registry-import-list"),
    path(
        "registry/imports/<int:pk>/",
        import_views.ImportDetailView.as_view(),
        name="registry-import",
    ),
    path(
        "registry/imports/<int:pk>/progress/",
        import_views.ImportProgressView.as_view(),
        name="registry-import-progress",
    ),
    path(
        "registry/imports/<int:pk>/report.csv",
        import_views.ImportReportView.as_view(),
        name="registry-import-report",
    ),
    path(
        "registry/imports/template/<slug:kind>.csv",
        import_views.ImportTemplateView.as_view(),
        name="registry-import-template",
    ),
    path("registry/exports/", import_views.ExportListView.as_view(), name="registry-export-list"),
    path(
        "registry/exports/<int:pk>/statistics.csv",
        import_views.StatisticsExportView.as_view(file_format="csv"),
        name="registry-export-statistics-csv",
    ),
    path(
        "registry/exports/<int:pk>/statistics.xlsx",
        import_views.StatisticsExportView.as_view(file_format="xlsx"),
        name="registry-export-statistics-xlsx",
    ),
    path(
        "registry/exports/<int:pk>/persons/",
        import_views.PersonsExportView.as_view(),
        name="registry-export-persons",
    ),
]
