"""What every scoped viewset of the API does alike, beside grid.jurisdiction's
JurisdictionScopedMixin (which restricts the queryset to the caller's areas)."""


class DetailInScopeMixin:
    """Filters narrow lists only: a detail (or a step on one) reaches any row in scope. And a
    detail URL answers 404 for a row out of scope before it says which methods it allows, so no
    method can confirm that an id of another area exists."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def http_method_not_allowed(self, request, *args, **kwargs):
        if self.lookup_field in kwargs:
            self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)
