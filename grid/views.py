"""Pages for the hierarchy. Each list and detail is scoped by JurisdictionScopedMixin, like the
API, so a page never shows an area outside the user's posts."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from grid import extensions
from grid.filtersets import AreaFilterSet
from grid.jurisdiction import JurisdictionScopedMixin, covers
from grid.models import Area, Post


class HomeView(TemplateView):
    """The front page: an introduction for visitors; once signed in, the workbench (工作台): a
    section per post of the user with the numbers that ask for action, each a link to the list
    filtered to exactly those rows, and the key figures of the post's week, from the tiles the
    apps register (grid/extensions.py). htmx asks for the workbench alone every `poll_seconds`
    and swaps it in, so the numbers stay current without reloading the page."""

    template_name = "home.html"
    fragment_template = "workbench/_workbench.html"
    jurisdiction_exempt = "shows only the signed-in user's own posts"
    poll_seconds = 30

    def get(self, request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            # The session ended while the page polled: reload it whole (the visitor's page).
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "workbench":
            return [self.fragment_template]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.is_authenticated:
            posts = list(
                Post.objects.filter(user=user, is_active=True)
                .select_related("area", "department")
                .order_by("id")
            )
            for post in posts:
                post.tiles = extensions.workbench_tiles(self.request, post, post.role)
            context["posts"] = posts
            context["personal"] = extensions.workbench_tiles(
                self.request, None, extensions.PERSONAL
            )
            context["poll_seconds"] = self.poll_seconds
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


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
