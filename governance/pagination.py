"""The one pagination of the API's lists (docs/api.md): keyset cursors, `{next, previous,
results}`; a client follows `next` until it is null."""

from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import Cursor, CursorPagination

from cases import keyset


class KeysetPagination(CursorPagination):
    """Keyset pagination: any page costs what the first one does.

    The cursor holds the last row's values of every key of `ordering` (cases/keyset.py), so a
    page is one range of the index that serves the order. DRF's own cursor holds the first key
    and an offset among the rows that share it: a page after many cases reported at one
    instant read them all again, and past 1,000 of them the cursor was refused. The links and
    the answer's shape are DRF's (`next`, `previous`, `results`); the keys must not be NULL."""

    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def keyset(self) -> keyset.Ordering:
        return keyset.Ordering(
            tuple(
                keyset.Key(key.lstrip("-"), descending=key.startswith("-")) for key in self.ordering
            )
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)  # DRF's envelope: direction and position
        backwards = bool(self.cursor and self.cursor.reverse)
        position = self.cursor.position if self.cursor else None
        ordering = self.keyset().reversed() if backwards else self.keyset()
        try:
            rows, following = ordering.page(queryset, position, self.page_size)
        except keyset.InvalidCursor:
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        self.page = rows[::-1] if backwards else rows
        more, came_from = following is not None, position is not None
        self.has_next, self.has_previous = (came_from, more) if backwards else (more, came_from)
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def _link(self, row, backwards: bool) -> str:
        position = self.keyset().cursor(row) if row is not None else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=backwards, position=position))

    def get_next_link(self):
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, backwards=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, backwards=True)


class StandardPagination(KeysetPagination):
    """Every list's pagination unless it has its own: keyset, in the order the list sorts by
    (`?ordering=` where the list offers it, else its own order), then by id."""

    def paginate_queryset(self, queryset, request, view=None):
        self.ordering = self._ordering_of(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def _ordering_of(self, queryset, request, view) -> tuple[str, ...]:
        chosen = None
        for backend in getattr(view, "filter_backends", []):
            if issubclass(backend, OrderingFilter):
                chosen = backend().get_ordering(request, queryset, view)
        if not chosen and all(isinstance(key, str) for key in queryset.query.order_by):
            chosen = queryset.query.order_by
        chosen = chosen or getattr(view, "ordering", None) or queryset.model._meta.ordering
        keys = [chosen] if isinstance(chosen, str) else list(chosen or [])
        keys = [key.replace("pk", "id") if key.lstrip("-") == "pk" else key for key in keys]
        ids = [index for index, key in enumerate(keys) if key.lstrip("-") == "id"]
        # The id makes every row's place its own; keys after it could never matter.
        return tuple(keys[: ids[0] + 1] if ids else [*keys, "id"])
