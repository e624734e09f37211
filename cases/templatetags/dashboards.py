"""Template filters of the dashboards."""

from django import template

from grid.jurisdiction import scope_of

register = template.Library()


@register.filter
def sees_areas(user) -> bool:
    """Whether an area lies in the user's jurisdiction, so a dashboard has a unit to show
    (department staff have none). One query per request at most: the scope is kept on the
    user."""
    scope = scope_of(user)
    return scope.everything or bool(scope.paths)
