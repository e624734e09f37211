"""API of party building, under /api/party/. Thin: input serializers check shape (ids the caller
can see), party/services.py checks the rules and writes, output serializers shape the answer.
Every queryset goes through JurisdictionScopedMixin, so a row outside the caller's jurisdiction
is a 404 whatever the method; organisations attached to a department are seen by its staff too.

Members leave masked; reading one member is audited as a view of their person, like the
registry's person page. Completing a visit someone else completed first is a 409.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.rest import stale_version_response
from grid import registry
from grid.api.scoping import DetailInScopeMixin
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area
from party import selectors, services
from party.api import serializers as s
from party.exceptions import VisitConflict
from party.filtersets import (
    ActivityFilterSet,
    CoverageFilterSet,
    HouseholdLinkFilterSet,
    MemberFilterSet,
    OrganisationFilterSet,
    VisitFilterSet,
)
from party.models import (
    Activity,
    Attendance,
    HouseholdLink,
    Member,
    MemberEvent,
    Organisation,
    Visit,
)

# Its body is the schema's Conflict, as every 409's (governance/schema.py).
CONFLICT = OpenApiResponse(
    description=gettext_lazy("Someone else completed or cancelled the visit first"),
)


def _parse(serializer_class, request, **kwargs) -> dict:
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class PartyViewSet(
    DetailInScopeMixin,
    JurisdictionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Lists and details of one kind of party row, in the caller's jurisdiction."""

    filter_backends = [DjangoFilterBackend]

    def handle_exception(self, exc):
        if isinstance(exc, VisitConflict):
            return stale_version_response(
                exc.expected_version,
                exc.current_version,
                detail=_("Someone else completed or cancelled this visit first; reload it."),
                status=exc.status,
            )
        return super().handle_exception(exc)


class OrganisationViewSet(mixins.CreateModelMixin, PartyViewSet):
    """Party organisations (党组织), a tree attached to areas and departments."""

    jurisdiction_path = "area__path"
    jurisdiction_department = "department"
    queryset = Organisation.objects.select_related("area", "department")
    filterset_class = OrganisationFilterSet

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.OrganisationDetailSerializer
        return s.OrganisationSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("children")
        return queryset.order_by("path")

    @extend_schema(request=s.OrganisationCreateInput, responses={201: s.OrganisationSerializer})
    def create(self, request):
        data = _parse(s.OrganisationCreateInput, request)
        organisation = services.create_organisation(actor=request.user, **data)
        return Response(s.OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CommitteeInput, responses=s.OrganisationDetailSerializer)
    @action(detail=True, methods=["post"])
    def committee(self, request, pk=None):
        """Appoint the organisation's committee (换届); the former one stays in history."""
        organisation = self.get_object()
        data = _parse(s.CommitteeInput, request)
        services.appoint_committee(organisation, actor=request.user, **data)
        organisation = self.get_queryset().get(pk=organisation.pk)
        return Response(s.OrganisationDetailSerializer(organisation).data)

    @extend_schema(responses=s.StatisticsSerializer)
    @action(detail=True, methods=["get"])
    def statistics(self, request, pk=None):
        """Members, activities this year, volunteer hours and households linked of the
        organisation and everything below it."""
        organisation = self.get_object()
        return Response(
            s.StatisticsSerializer(selectors.organisation_statistics(organisation)).data
        )


def _member_queryset():
    return Member.objects.select_related("person__grid", "organisation", "work_grid")


class MemberViewSet(mixins.CreateModelMixin, PartyViewSet):
    """Party members (党员): registered persons, masked, with their organisation and status; a
    death or move out in the registry shows in `person_status`. The detail has their history."""

    jurisdiction_path = "organisation__area__path"
    jurisdiction_department = "organisation__department"
    queryset = _member_queryset()
    filterset_class = MemberFilterSet

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.PartyMemberDetailSerializer
        return s.PartyMemberSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(*_member_history())
        return queryset

    def retrieve(self, request, pk=None):
        member = self.get_object()
        registry.record_view(member.person, actor=request.user)
        return Response(s.PartyMemberDetailSerializer(member).data)

    @extend_schema(request=s.MemberCreateInput, responses={201: s.PartyMemberDetailSerializer})
    def create(self, request):
        data = _parse(s.MemberCreateInput, request)
        member = services.admit_member(actor=request.user, **data)
        return Response(_member_detail(member), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TransferInput, responses=s.PartyMemberDetailSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Move the member to another organisation (组织关系转接), kept in their history."""
        member = self.get_object()
        data = _parse(s.TransferInput, request)
        services.transfer_member(member, actor=request.user, **data)
        return Response(_member_detail(member))

    @extend_schema(request=s.StatusInput, responses=s.PartyMemberDetailSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """Change the member's status (预备 → 正式, 流动), kept in their history."""
        member = self.get_object()
        data = _parse(s.StatusInput, request)
        services.change_member_status(member, actor=request.user, **data)
        return Response(_member_detail(member))


def _member_history() -> tuple[Prefetch, ...]:
    return (
        Prefetch(
            "events",
            queryset=MemberEvent.objects.select_related(
                "from_organisation", "to_organisation", "actor"
            ),
        ),
        Prefetch("links", queryset=HouseholdLink.objects.select_related("household")),
    )


def _member_detail(member: Member) -> dict:
    member = _member_queryset().prefetch_related(*_member_history()).get(pk=member.pk)
    return s.PartyMemberDetailSerializer(member).data


class HouseholdLinkViewSet(mixins.CreateModelMixin, PartyViewSet):
    """Households linked with party members (党员联系户), seen by the household's grid."""

    jurisdiction_path = "grid__path"
    queryset = HouseholdLink.objects.select_related("member__person", "household", "grid")
    serializer_class = s.HouseholdLinkSerializer
    filterset_class = HouseholdLinkFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("id")

    @extend_schema(request=s.LinkCreateInput, responses={201: s.HouseholdLinkSerializer})
    def create(self, request):
        data = _parse(s.LinkCreateInput, request)
        link = services.link_household(actor=request.user, **data)
        link = self.queryset.get(pk=link.pk)
        return Response(s.HouseholdLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LinkEndInput, responses=s.HouseholdLinkSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """The member no longer links with the household; the link stays as history."""
        link = self.get_object()
        data = _parse(s.LinkEndInput, request)
        link = services.end_link(link, actor=request.user, **data)
        return Response(s.HouseholdLinkSerializer(self.queryset.get(pk=link.pk)).data)


class VisitViewSet(mixins.CreateModelMixin, PartyViewSet):
    """Members' visits to their linked households: recorded when done, or planned and then
    completed (compare-and-set: of two completing at once, one gets 409)."""

    jurisdiction_path = "grid__path"
    queryset = Visit.objects.select_related("member__person", "household", "grid")
    serializer_class = s.VisitSerializer
    filterset_class = VisitFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("-id")

    @extend_schema(request=s.VisitCreateInput, responses={201: s.VisitSerializer})
    def create(self, request):
        data = _parse(s.VisitCreateInput, request)
        if data["planned_on"] is not None and not data["notes"].strip():
            visit = services.plan_visit(
                actor=request.user, link=data["link"], planned_on=data["planned_on"]
            )
        else:
            visit = services.record_visit(
                actor=request.user,
                link=data["link"],
                notes=data["notes"],
                visited_at=data["visited_at"],
            )
        visit = self.queryset.get(pk=visit.pk)
        return Response(s.VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.VisitCompleteInput, responses={200: s.VisitSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record a planned visit as done, at the version the caller read."""
        visit = self.get_object()
        data = _parse(s.VisitCompleteInput, request)
        visit = services.complete_visit(visit, actor=request.user, **data)
        return Response(s.VisitSerializer(self.queryset.get(pk=visit.pk)).data)


class ActivityViewSet(mixins.CreateModelMixin, PartyViewSet):
    """Activities of organisations: 三会一课 meetings and volunteer service, with attendees."""

    jurisdiction_path = "organisation__area__path"
    jurisdiction_department = "organisation__department"
    queryset = Activity.objects.select_related("organisation").prefetch_related(
        Prefetch("attendances", queryset=Attendance.objects.select_related("member__person"))
    )
    serializer_class = s.ActivitySerializer
    filterset_class = ActivityFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("-held_on", "-id")

    @extend_schema(request=s.ActivityCreateInput, responses={201: s.ActivitySerializer})
    def create(self, request):
        data = _parse(s.ActivityCreateInput, request)
        activity = services.record_activity(actor=request.user, **data)
        return Response(
            s.ActivitySerializer(self.queryset.get(pk=activity.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CoverageViewSet(JurisdictionScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Coverage of linked households per grid (党员联系户覆盖率): households linked with a party
    member out of all occupied households, and the party members living there."""

    jurisdiction_path = "path"
    queryset = Area.objects.filter(level=Area.Level.GRID)
    serializer_class = s.CoverageSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CoverageFilterSet

    def list(self, request):
        grids = self.filter_queryset(self.get_queryset()).order_by("code")
        page = self.paginate_queryset(grids)
        rows = selectors.coverage_by_grid(page if page is not None else grids)
        data = s.CoverageSerializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)
