"""Pages of the dashboards: the supervisor dashboard, the command centre's wall screen, the
monthly report and the registry statistics."""

from django.urls import path

from cases import dashboard_views

urlpatterns = [
    path("dashboard/", dashboard_views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/wall/", dashboard_views.WallScreenView.as_view(), name="dashboard-wall"),
    path("dashboard/report/", dashboard_views.MonthlyReportView.as_view(), name="dashboard-report"),
    path(
        "dashboard/population/",
        dashboard_views.PopulationView.as_view(),
        name="dashboard-population",
    ),
]
