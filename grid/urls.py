from django.urls import path

from grid import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("areas/", views.AreaListView.as_view(), name="area-list"),
    path("areas/<int:pk>/", views.AreaDetailView.as_view(), name="area-detail"),
]
