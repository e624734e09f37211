"""Reading one row with the relations its page shows, without a query for those it has none of.

A case's detail shows eight relations (events, photos, dispatches, supervisions, callbacks, and
the buildings, households and persons it names) and most cases have rows in one or two of them:
prefetching all eight cost a query each. Instead the row's own query asks which relations have
rows (one EXISTS each, an index probe), and only those are read; the others are filled in
empty, without a query. So a detail costs one query more than the relations it shows at most,
whatever the number of rows in each.
"""

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects


def _name(lookup) -> str:
    return lookup.prefetch_to if isinstance(lookup, Prefetch) else lookup


def with_relation_flags(queryset, lookups):
    """`queryset` with `has_<relation>` (True when the row has any) for each prefetch lookup
    (a relation of the model itself: a name without "__")."""
    model = queryset.model
    return queryset.annotate(
        **{
            f"has_{_name(lookup)}": Exists(
                model.objects.filter(pk=OuterRef("pk"), **{f"{_name(lookup)}__isnull": False})
            )
            for lookup in lookups
        }
    )


def prefetch_existing(row, lookups) -> None:
    """Prefetch onto `row` (read through with_relation_flags) the relations it has rows of;
    the others get an empty result without a query."""
    meta = type(row)._meta
    prefetch_related_objects(
        [row],
        *(
            lookup
            if getattr(row, f"has_{_name(lookup)}")
            else Prefetch(
                _name(lookup), queryset=meta.get_field(_name(lookup)).related_model.objects.none()
            )
            for lookup in lookups
        ),
    )
