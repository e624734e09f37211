"""Pages for the hierarchy. Each list and detail is scoped by JurisdictionScopedMixin, like the
API, so a page never shows an area outside the user's posts."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from grid import extensions
from grid.filtersets import AreaFilterSet
from grid.jurisdiction import JurisdictionScopedMixin, covers
from grid.models import Area, Post


class HomeView(TemplateView):
    """The front page: an introduction for visitors, the user's posts once signed in."""

    template_name = "home.html"
    jurisdiction_exempt = "shows only the signed-in user's own posts"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.is_authenticated:
            context["posts"] = Post.objects.filter(user=user, is_active=True).select_related(
                "area", "department"
            )
        return context


class AreaListView(LoginRequiredMixin, JurisdictionScopedMixin, FilterView):
    jurisdiction_path = "path"
    model = Area
    filterset_class = AreaFilterSet
    template_name = "grid/area_list.html"
    context_object_name = "areas"
    paginate_by = 100

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class AreaDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    jurisdiction_path = "path"
    model = Area
    template_name = "grid/area_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        area = self.object
        ancestor_ids = [int(pk) for pk in area.path.strip("/").split("/")[:-1]]
        ancestors = sorted(Area.objects.filter(pk__in=ancestor_ids), key=lambda a: a.level)
        context["ancestors"] = [a for a in ancestors if covers(self.request.user, a)]
        context["children"] = area.children.all()
        context["posts"] = area.posts.filter(is_active=True).select_related("user")
        # Other apps' sections of this page (party building, …), by grid/extensions.py.
        context["panels"] = extensions.panels(extensions.AREA_PAGE, self.request, area)
        return context
