import pytest

from grid.jurisdiction import areas_visible_to, covers, restrict, scope_of
from grid.models import Area, Building, Department, Post

pytestmark = pytest.mark.django_db


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_a_grid_worker_sees_only_their_grid(demo, home_grids):
    assert list(areas_visible_to(_user("grid1"))) == [home_grids[0]]


def test_community_staff_see_their_community_and_its_grids(home_community):
    visible = set(areas_visible_to(_user("community")))

    assert visible == {home_community, *home_community.children.all()}


def test_street_staff_see_their_street_subtree(home_street):
    expected = Area.objects.filter(path__startswith=home_street.path)

    assert set(areas_visible_to(_user("street"))) == set(expected)


@pytest.mark.parametrize("username", ["supervisor", "district", "admin"])
def test_district_posts_see_the_whole_district(demo, username):
    assert areas_visible_to(_user(username)).count() == Area.objects.count()


def test_department_staff_see_no_areas_but_their_own_department(demo):
    user = _user("transport")

    departments = restrict(
        Department.objects.all(), user, path_field="area__path", department_field="pk"
    )

    assert areas_visible_to(user).count() == 0
    assert [d.name for d in departments] == ["区交通运输局"]


def test_a_user_with_two_posts_sees_both_subtrees(make_user, home_grids, other_community):
    user = make_user("two-posts", role=Post.Role.GRID_WORKER, area=home_grids[2])
    Post.objects.create(user=user, role=Post.Role.COMMUNITY_STAFF, area=other_community)

    visible = set(areas_visible_to(user))

    assert visible == {home_grids[2], other_community, *other_community.children.all()}


def test_an_inactive_post_gives_no_jurisdiction(make_user, home_grids):
    user = make_user("retired", role=Post.Role.GRID_WORKER, area=home_grids[0])
    Post.objects.filter(user=user).update(is_active=False)

    assert scope_of(user).is_empty
    assert areas_visible_to(user).count() == 0


def test_a_user_without_posts_sees_nothing(make_user, demo):
    assert areas_visible_to(make_user("nobody")).count() == 0


def test_covers_agrees_with_the_queryset(home_grids, home_community):
    user = _user("grid1")

    assert covers(user, home_grids[0])
    assert not covers(user, home_grids[1])
    assert not covers(user, home_community)


def test_a_grid_post_matches_rows_by_the_grid_s_id_and_sees_the_same_rows(
    home_grids, family, neighbour
):
    grid_worker, grid = _user("grid1"), home_grids[0]

    by_id = restrict(Building.objects.all(), grid_worker, path_field="grid__path")

    assert "grid_area" not in str(by_id.query)  # the grid's id, no join to the areas' paths
    assert set(by_id) == set(Building.objects.filter(grid__path__startswith=grid.path))
    assert by_id.exists()
    assert by_id.count() < Building.objects.count()


def test_a_path_that_is_not_an_area_s_is_refused(demo):
    from party.models import Organisation

    with pytest.raises(ValueError, match="not the path of an area"):
        restrict(Organisation.objects.all(), _user("grid1"), path_field="path")
