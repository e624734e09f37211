from django.urls import path

from grid import registry_views, views

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
]
