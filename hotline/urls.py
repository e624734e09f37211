"""The hotline's door under /api/hotline/ (hotline/api.py) and its console pages under
/console/hotline/ (hotline/views.py)."""

from django.urls import path

from hotline import api, views

api_urlpatterns = [
    path("work-orders/", api.WorkOrderListView.as_view(), name="hotline-work-orders"),
    path("work-orders/<str:number>/", api.WorkOrderDetailView.as_view(), name="hotline-work-order"),
    path(
        "work-orders/<str:number>/deadline/",
        api.WorkOrderDeadlineView.as_view(),
        name="hotline-deadline",
    ),
    path(
        "work-orders/<str:number>/photos/",
        api.WorkOrderPhotosView.as_view(),
        name="hotline-photos",
    ),
    path(
        "work-orders/<str:number>/photos/<int:pk>/",
        api.WorkOrderPhotoView.as_view(),
        name="hotline-photo",
    ),
]

console_urlpatterns = [
    path("<int:pk>/reveal/", views.RevealCallerView.as_view(), name="hotline-reveal"),
    path("<int:pk>/<slug:action>/", views.AnswerView.as_view(), name="hotline-answer"),
]
