"""Pages of community services: the field app's 关爱 tab under /field/care/ and the office
console's under /console/community/ (community/views/)."""

from django.urls import path

from community.views import console, field

urlpatterns = [
    path("field/care/", field.CareDueView.as_view(), name="field-care"),
    path(
        "field/care/persons/<int:pk>/visit/",
        field.VisitFormView.as_view(),
        name="field-care-visit",
    ),
    path(
        "field/care/visits/<int:pk>/photo/",
        field.VisitPhotoView.as_view(),
        name="field-care-visit-photo",
    ),
    path("field/care/requests/", field.RequestListView.as_view(), name="field-care-requests"),
    path(
        "field/care/requests/new/",
        field.RequestFormView.as_view(),
        name="field-care-request-new",
    ),
    path(
        "field/care/requests/<int:pk>/",
        field.RequestDetailView.as_view(),
        name="field-care-request",
    ),
    path(
        "field/care/requests/<int:pk>/photo/",
        field.RequestPhotoView.as_view(),
        name="field-care-request-photo",
    ),
    path(
        "field/care/requests/<int:pk>/<slug:action>/",
        field.RequestStepView.as_view(),
        name="field-care-request-step",
    ),
    path(
        "console/community/requests/",
        console.RequestQueueView.as_view(),
        name="console-service-requests",
    ),
    path(
        "console/community/requests/new/",
        console.NewRequestView.as_view(),
        name="console-service-request-new",
    ),
    path(
        "console/community/requests/<int:pk>/",
        console.ConsoleRequestView.as_view(),
        name="console-service-request",
    ),
    path(
        "console/community/requests/<int:pk>/<slug:action>/",
        console.ConsoleRequestView.as_view(),
        name="console-service-request-step",
    ),
    path(
        "console/community/visits/", console.VisitOverviewView.as_view(), name="console-care-visits"
    ),
]
