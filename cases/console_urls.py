"""The office console's pages, under /console/ (cases/console_views.py, cases/console/)."""

from django.urls import path

from cases import console_views as views
from cases.console import export, inbox

urlpatterns = [
    path("cases/", views.CaseQueueView.as_view(), name="console-queue"),
    path("cases/export/", export.QueueExportView.as_view(), name="console-queue-export"),
    path("cases/accept/", views.BulkAcceptView.as_view(), name="console-bulk-accept"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="console-case"),
    path("cases/<int:pk>/<slug:action>/", views.CaseStepView.as_view(), name="console-case-step"),
    path("photos/<int:pk>/", views.CasePhotoView.as_view(), name="console-photo"),
    path(
        "photos/<int:pk>/thumbnail/",
        views.CasePhotoView.as_view(thumbnail=True),
        name="console-photo-thumbnail",
    ),
    path("dispatches/", views.DispatchInboxView.as_view(), name="console-dispatches"),
    path(
        "dispatches/<int:pk>/<slug:action>/",
        views.DispatchStepView.as_view(),
        name="console-dispatch-step",
    ),
    path("inbox/", inbox.NotificationInboxView.as_view(), name="console-inbox"),
    path("inbox/read/", inbox.MarkReadView.as_view(), name="console-mark-read"),
    path("inbox/unread/", inbox.UnreadBadgeView.as_view(), name="console-unread"),
]
