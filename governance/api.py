"""The one API router: every viewset of every app is registered here, under /api/."""

from rest_framework.routers import DefaultRouter

from grid.api.views import AreaViewSet, DepartmentViewSet

router = DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("departments", DepartmentViewSet, basename="department")
