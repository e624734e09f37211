"""Who answers the hotline: the district's dispatchers (区分流中心) over the case's grid, who
receive its work orders whatever level of ours holds the case."""

from grid.jurisdiction import covers_with_role
from grid.models import Post


def can_answer(user, case) -> bool:
    """签收, 退回 and 延期申请 of the work order behind `case`."""
    return covers_with_role(user, case.grid, (Post.Role.DISTRICT_DISPATCHER,))
