"""The one API router: every viewset of every app is registered here, under /api/."""

from rest_framework.routers import DefaultRouter

from cases.api.metrics import MetricsViewSet
from cases.api.views import CaseViewSet, CategoryViewSet, DispatchViewSet, NotificationViewSet
from community.api.metrics import CommunityMetricsViewSet
from community.api.views import (
    CareVisitViewSet,
    ServiceRequestViewSet,
    ServiceViewSet,
    VisitScheduleViewSet,
)
from grid.api.imports import ImportJobViewSet
from grid.api.registry import BuildingViewSet, HouseholdViewSet, HouseViewSet, PersonViewSet
from grid.api.views import AreaViewSet, DepartmentViewSet


# No ".json" suffix routes: the API speaks JSON, negotiated by the Accept header.
class Router(DefaultRouter):
    include_format_suffixes = False


router = Router()
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
router.register("notifications", NotificationViewSet, basename="notification")
router.register("metrics", MetricsViewSet, basename="metrics")
router.register("services", ServiceViewSet, basename="service")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")
router.register("visit-schedules", VisitScheduleViewSet, basename="visit-schedule")
router.register("care-visits", CareVisitViewSet, basename="care-visit")
router.register("community-metrics", CommunityMetricsViewSet, basename="community-metrics")
