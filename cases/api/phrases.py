"""GET /api/stock-phrases/: the stock phrases (常用语) for the steps' reasons, for the field app
and other clients to offer as the console does (cases/phrases.py). Read-only: admins edit them
in the admin. `?action=escalate` narrows to one step, `?grid=<id or code>` to those offered for
a case in that grid (the district-wide ones and those of an area above it)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets

from cases.models import StockPhrase
from governance.pagination import KeysetPagination
from grid.api.serializers import AreaBriefSerializer
from grid.filtersets import FilterSet, IdOrCodeFilter
from grid.jurisdiction import areas_visible_to
from grid.models import Area


def _areas_of_request(request):
    # The user's own areas only, so the filter cannot confirm that another area exists.
    return areas_visible_to(request.user) if request is not None else Area.objects.none()


class OfferedInFilter(IdOrCodeFilter):
    """Phrases offered for a case in the area: the district-wide ones and those whose area is
    the area itself or one above it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", _areas_of_request)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        # An ancestor's path is a prefix of the area's own.
        prefixes = [value.path[:end] for end in range(1, len(value.path) + 1)]
        return qs.filter(Q(area__isnull=True) | Q(area__path__in=prefixes))


class StockPhraseFilterSet(FilterSet):
    action = django_filters.ChoiceFilter(choices=StockPhrase.Action.choices)
    grid = OfferedInFilter(label=gettext_lazy("Offered for a case in this grid (id or code)"))

    class Meta:
        model = StockPhrase
        fields = ["action", "grid"]


class StockPhraseSerializer(serializers.ModelSerializer):
    area = AreaBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StockPhrase
        fields = ["id", "action", "text", "order", "area"]


class StockPhrasePagination(KeysetPagination):
    """In the admins' order, step by step."""

    ordering = ("action", "order", "id")
    max_page_size = 200


class StockPhraseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active stock phrases of the steps' reasons (常用语), in the admins' order."""

    jurisdiction_exempt = (
        "the district's stock wording for the steps' reasons: reference text with no personal "
        "data, like the category table; the grid filter draws from the user's own areas"
    )
    queryset = StockPhrase.objects.filter(is_active=True).select_related("area")
    serializer_class = StockPhraseSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = StockPhraseFilterSet
    pagination_class = StockPhrasePagination
