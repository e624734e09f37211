"""The one API router: every viewset of every app is registered here, under /api/."""

from rest_framework.routers import DefaultRouter

from cases.api.metrics import MetricsViewSet
from cases.api.phrases import StockPhraseViewSet
from cases.api.views import CaseViewSet, CategoryViewSet, DispatchViewSet, NotificationViewSet
from community.api.metrics import CommunityMetricsViewSet
from community.api.views import (
    CareVisitViewSet,
    ServiceRequestViewSet,
    ServiceViewSet,
    VisitScheduleViewSet,
)
from governance.auth import TokenViewSet
from grid.api.imports import ImportJobViewSet
from grid.api.registry import BuildingViewSet, HouseholdViewSet, HouseViewSet, PersonViewSet
from grid.api.views import AreaViewSet, DepartmentViewSet
from party.api.views import (
    ActivityViewSet,
    CoverageViewSet,
    HouseholdLinkViewSet,
    MemberViewSet,
    OrganisationViewSet,
    VisitViewSet,
)


# No ".json" suffix routes: the API speaks JSON, negotiated by the Accept header.
class Router(DefaultRouter):
    include_format_suffixes = False


router = Router()
router.register("auth/tokens", TokenViewSet, basename="auth-token")
router.register("areas", AreaViewSet, basename="area")
router.register("departments", DepartmentViewSet, basename="department")
router.register("buildings", BuildingViewSet, basename="building")
router.register("houses", HouseViewSet, basename="house")
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")
router.register("imports", ImportJobViewSet, basename="import")
router.register("cases", CaseViewSet, basename="case")
router.register("dispatches", DispatchViewSet, basename="dispatch")
router.register("categories", CategoryViewSet, basename="category")
router.register("stock-phrases", StockPhraseViewSet, basename="stock-phrase")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("metrics", MetricsViewSet, basename="metrics")
router.register("party/organisations", OrganisationViewSet, basename="party-organisation")
router.register("party/members", MemberViewSet, basename="party-member")
router.register("party/links", HouseholdLinkViewSet, basename="party-link")
router.register("party/visits", VisitViewSet, basename="party-visit")
router.register("party/activities", ActivityViewSet, basename="party-activity")
router.register("party/coverage", CoverageViewSet, basename="party-coverage")
router.register("services", ServiceViewSet, basename="service")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")
router.register("visit-schedules", VisitScheduleViewSet, basename="visit-schedule")
router.register("care-visits", CareVisitViewSet, basename="care-visit")
router.register("community-metrics", CommunityMetricsViewSet, basename="community-metrics")
