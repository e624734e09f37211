"""The field app's pages under /field/, and at the site root its manifest and service worker
(a worker's scope is the folder it is served from, so /sw.js can control /field/)."""

from django.urls import path

from cases import field_views as views

urlpatterns = [
    path("sw.js", views.ServiceWorkerView.as_view(), name="field-sw"),
    path("manifest.webmanifest", views.ManifestView.as_view(), name="field-manifest"),
    path("field/", views.FieldHomeView.as_view(), name="field-home"),
    path("field/offline/", views.OfflineView.as_view(), name="field-offline"),
    path("field/report/", views.ReportView.as_view(), name="field-report"),
    path("field/tasks/", views.TaskListView.as_view(), name="field-tasks"),
    path("field/tasks/<int:pk>/", views.TaskDetailView.as_view(), name="field-task"),
    path("field/tasks/<int:pk>/photo/", views.TaskPhotoView.as_view(), name="field-task-photo"),
    path(
        "field/tasks/<int:pk>/<slug:action>/",
        views.TaskActionView.as_view(),
        name="field-task-action",
    ),
    path("field/visits/", views.VisitListView.as_view(), name="field-visits"),
    path(
        "field/visits/persons/<int:pk>/",
        views.PersonVisitView.as_view(),
        name="field-visit-person",
    ),
    path("field/inbox/", views.InboxView.as_view(), name="field-inbox"),
    path("field/inbox/read/", views.MarkReadView.as_view(), name="field-inbox-read"),
]
