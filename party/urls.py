from django.urls import path

from party.views import console, field

urlpatterns = [
    path("party/", console.OrganisationTreeView.as_view(), name="party-tree"),
    path(
        "party/organisations/<int:pk>/",
        console.OrganisationDetailView.as_view(),
        name="party-organisation",
    ),
    path("party/members/<int:pk>/", console.MemberDetailView.as_view(), name="party-member"),
    path("party/coverage/", console.CoverageView.as_view(), name="party-coverage"),
    path("field/party/", field.LinkedHouseholdsView.as_view(), name="field-party"),
]
