import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from grid import registry
from grid.models import AuditEntry, CareTag, Membership
from grid.registry_views import family_graph
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(demo):
    """browser("grid1") → a Django test client signed in as that demo user."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


def assert_masked(response, *persons):
    body = response.content.decode()
    for person in persons:
        for value in (person.id_number, person.phone, person.other_phone):
            if value:
                assert value not in body


# Search


def test_the_search_page_finds_persons_by_name_with_masked_ids(browser, family, neighbour):
    response = browser("grid1").get("/registry/", {"name": "陈"})

    body = response.content.decode()
    assert response.status_code == 200
    assert ("陈建华" in body, "陈小明" in body) == (True, True)
    assert ("林美玲" in body, "黄丽" in body) == (False, False)
    assert family["head"].id_number[:6] + "********" + family["head"].id_number[-4:] in body
    assert_masked(response, family["head"], family["son"])


def test_the_search_page_shows_no_list_before_a_search(browser, family):
    response = browser("grid1").get("/registry/")

    assert response.status_code == 200
    assert "陈建华" not in response.content.decode()


def test_the_search_filters_left_blank_read_all_not_none_or_dashes(browser, family):
    body = browser("grid1").get("/registry/").content.decode()

    for name in ("building", "population_type", "sex"):
        select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
        assert re.search(r'<option value="" selected>全部</option>', select), name
    assert "---------" not in body


def test_the_sex_select_does_not_offer_unknown_and_not_stated_side_by_side(browser, family):
    page = browser("grid1").get("/registry/", headers={"accept-language": "zh-hans"})
    options = re.search(r'<select name="sex".*?</select>', page.content.decode(), re.S).group()

    assert "未说明的性别" in options
    assert "未知的性别" not in options
    # 0 stays a value one can ask for (a link, the API), and then it is shown.
    asked = browser("grid1").get("/registry/", {"sex": "0"}, headers={"accept-language": "zh-hans"})
    assert asked.status_code == 200
    assert '<option value="0" selected>' in asked.content.decode()


def test_the_search_page_filters_by_building_care_tag_and_population_type(
    browser, family, neighbour
):
    family["son"].care_tags.set(CareTag.objects.filter(code="key_youth"))
    registry.update_person(family["spouse"], actor=None, population_type="floating")
    client = browser("community")

    by_building = client.get("/registry/", {"building": neighbour["building"].pk})
    by_tag = client.get("/registry/", {"care_tag": "key_youth"})
    by_type = client.get("/registry/", {"population_type": "floating"})

    assert "黄丽" in by_building.content.decode()
    assert "陈建华" not in by_building.content.decode()
    assert "陈小明" in by_tag.content.decode()
    assert "陈建华" not in by_tag.content.decode()
    assert "林美玲" in by_type.content.decode()
    assert "陈小明" not in by_type.content.decode()


def test_a_bad_search_is_a_400_with_the_message_beside_the_field(browser, family):
    response = browser("grid1").get("/registry/", {"age_min": "-3"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()


def test_the_search_pages_results_page_by_keyset(browser, family, admin_user):
    for i in range(55):
        registry.register_person(actor=admin_user, house=family["house"], name=f"住户{i}", sex="1")
    client = browser("grid1")

    first = client.get("/registry/", {"name": "住户"})
    second = client.get("/registry/", {"name": "住户", "after": first.context["persons"][-1].pk})

    assert len(first.context["persons"]) == 50
    assert first.context["next_query"].startswith("name=")
    assert len(second.context["persons"]) == 5
    assert second.context["next_query"] is None


def test_the_exact_id_search_posts_the_number_and_finds_the_person(browser, family):
    number = family["spouse"].id_number

    response = browser("grid1").post("/registry/", {"id_type": "resident", "id_number": number})

    assert response.status_code == 200
    assert [p.name for p in response.context["lookup_results"]] == ["林美玲"]
    assert_masked(response, family["spouse"])
    assert AuditEntry.objects.filter(action="view", detail="lookup").count() == 1


def test_the_exact_id_search_does_not_find_a_person_of_another_grid(browser, neighbour):
    response = browser("grid1").post(
        "/registry/", {"id_type": "resident", "id_number": neighbour["person"].id_number}
    )

    assert response.context["lookup_results"] == []
    assert_masked(response, neighbour["person"])


def test_a_malformed_id_number_is_a_400_with_its_message_and_not_echoed(browser, family):
    response = browser("grid1").post(
        "/registry/",
        {"id_type": "resident", "id_number": "440112197005010118"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "The check digit does not match the rest of the ID number" in body
    assert "440112197005010118" not in body


# The building


def test_the_building_page_shows_floors_top_down_with_rooms_and_occupants(browser, family):
    response = browser("grid1").get(f"/registry/buildings/{family['building'].pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    floors = [f.number for f in response.context["units"][0].floors]
    assert floors == [6, 5, 4, 3, 2, 1]
    room = response.context["units"][0].floors[3].rooms[0]
    assert room.house.number == "301"
    assert [p.name for p in room.occupants] == ["陈建华", "林美玲", "陈小明"]
    assert f'href="/registry/households/{family["household"].pk}/"' in body
    assert family["son"].id_number[:6] + "********" + family["son"].id_number[-4:] in body
    assert_masked(response, family["head"], family["spouse"], family["son"])


# The household


def test_the_household_page_lists_members_with_relations_and_history(browser, family):
    registry.move_out(family["son"], actor=None, on=date(2024, 9, 1))

    response = browser("grid1").get(f"/registry/households/{family['household'].pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert [m.person.name for m in response.context["members"]] == ["陈建华", "林美玲"]
    assert [m.relation_label for m in response.context["members"]] == ["户主", "配偶"]
    assert [m.person.name for m in response.context["history"]] == ["陈建华", "林美玲", "陈小明"]
    assert "2024-09-01" in body
    assert "<svg" in body
    assert_masked(response, family["head"], family["spouse"], family["son"])


def test_the_household_page_speaks_english_when_asked(browser, family):
    response = browser("grid1").get(
        f"/registry/households/{family['household'].pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert [m.relation_label for m in response.context["members"]] == [
        "Head of household",
        "Spouse",
        "Son",
    ]


def test_the_family_graph_puts_the_head_in_the_middle_and_generations_in_rows(family, admin_user):
    household = family["household"]
    registry.register_person(
        actor=admin_user, household=household, relation="52", name="王桂兰",
        id_number=resident_id(date(1945, 1, 20), 42),
    )  # fmt: skip
    registry.register_person(
        actor=admin_user, household=household, relation="99", name="租客", sex="1"
    )
    members = list(
        Membership.objects.filter(household=household, ended_on=None).select_related("person")
    )

    with translation.override("zh-hans"):
        graph = family_graph(household, members)

    node = {n["name"]: n for n in graph["nodes"]}
    head, spouse, son = node["陈建华"], node["林美玲"], node["陈小明"]
    mother, lodger = node["王桂兰"], node["租客"]
    assert (head["is_head"], spouse["is_head"]) == (True, False)
    assert spouse["y"] == head["y"]
    assert spouse["x"] > head["x"]
    assert mother["y"] < head["y"] < son["y"]
    assert son["x"] == mother["x"] == head["x"]
    assert lodger["x"] > spouse["x"]
    assert (mother["label"], lodger["label"]) == ("母亲", "非亲属")
    assert len(graph["edges"]) == 4
    assert [e["dashed"] for e in graph["edges"]].count(True) == 1
    assert min(n["x"] for n in graph["nodes"]) >= 0
    assert max(n["x"] for n in graph["nodes"]) + graph["node_width"] <= graph["width"]


def test_a_household_without_a_head_is_drawn_around_a_placeholder(family):
    registry.record_death(family["head"], actor=None)
    household = family["household"]
    household.refresh_from_db()
    members = list(
        Membership.objects.filter(household=household, ended_on=None).select_related("person")
    )

    with translation.override("en"):
        graph = family_graph(household, members)

    placeholder = [n for n in graph["nodes"] if n["placeholder"]]
    assert [(n["name"], n["url"]) for n in placeholder] == [("No head of household", "")]
    assert sorted(n["name"] for n in graph["nodes"] if not n["placeholder"]) == ["林美玲", "陈小明"]


# The person


def test_the_person_page_shows_labels_masked_values_and_is_audited(browser, family):
    head = family["head"]

    response = browser("grid1").get(f"/registry/persons/{head.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    fields = dict(response.context["fields"])
    assert response.status_code == 200
    assert (fields["ethnicity"], fields["sex"], fields["phone"]) == ("Han", "Male", "138****5678")
    assert_masked(response, head)
    entry = AuditEntry.objects.filter(action="view").get()
    assert (entry.actor.username, entry.object_id) == ("grid1", head.pk)
    assert head.id_number not in entry.fields + entry.detail
    assert response.context["can_reveal"] is True
    assert 'method="post"' in body
    assert "no-store" in response["Cache-Control"]


def test_the_person_page_lists_life_events(browser, family):
    registry.update_person(family["son"], actor=None, occupation="学生")

    response = browser("grid1").get(f"/registry/persons/{family['son'].pk}/")

    assert [e.kind for e in response.context["events"]] == ["update", "move_in"]


def test_revealing_on_the_person_page_shows_the_full_values_once(browser, family):
    head = family["head"]
    client = browser("grid1")

    revealed = client.post(f"/registry/persons/{head.pk}/", {"purpose": "visit", "reason": "核对"})
    again = client.get(f"/registry/persons/{head.pk}/")

    assert revealed.status_code == 200
    assert head.id_number in revealed.content.decode()
    assert "13812345678" in revealed.content.decode()
    assert_masked(again, head)
    entry = AuditEntry.objects.filter(action="reveal").get()
    assert (entry.actor.username, entry.object_id) == ("grid1", head.pk)
    assert entry.detail == "visit: 核对"


def test_community_staff_reveal_on_the_person_page(browser, family):
    response = browser("community").post(
        f"/registry/persons/{family['spouse'].pk}/", {"purpose": "case"}
    )

    assert "13987654321" in response.content.decode()


def test_the_supervisor_sees_no_reveal_button_and_may_not_reveal(browser, family):
    client = browser("supervisor")

    page = client.get(f"/registry/persons/{family['head'].pk}/")
    reveal = client.post(f"/registry/persons/{family['head'].pk}/")

    assert page.context["can_reveal"] is False
    assert 'method="post" class="card' not in page.content.decode()
    assert_masked(page, family["head"])
    assert reveal.status_code == 403
    assert family["head"].id_number not in reveal.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/registry/persons/{person}/",
        "/registry/households/{household}/",
        "/registry/buildings/{building}/",
    ],
)
@pytest.mark.parametrize("username", ["grid1", "transport"])
def test_pages_of_another_grids_rows_are_404(browser, neighbour, url, username):
    ids = {key: row.pk for key, row in neighbour.items()}

    response = browser(username).get(url.format(**ids))

    assert response.status_code == 404


def test_revealing_a_person_of_another_grid_is_a_404(browser, family):
    response = browser("grid2").post(f"/registry/persons/{family['head'].pk}/")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_the_building_list_shows_only_the_grids_buildings(browser, family, neighbour):
    response = browser("grid1").get("/registry/buildings/")

    assert [b.number for b in response.context["buildings"]] == ["1"]


def test_the_navigation_links_to_the_registry(browser, demo):
    response = browser("grid1").get("/")

    assert 'href="/registry/"' in response.content.decode()


@pytest.mark.parametrize(
    ("url", "ceiling"),
    [
        # +2: the data objection panel (datagov, through grid/extensions.py): the rooms to
        # choose from and the building's open objections.
        ("/registry/buildings/{building}/", 10),
        ("/registry/households/{household}/", 7),
        ("/registry/persons/{head}/", 10),
        ("/registry/?name=住户", 8),
        ("/registry/buildings/", 6),
    ],
)
def test_page_queries_do_not_grow_with_rows(
    browser, family, admin_user, django_assert_max_num_queries, url, ceiling
):
    tag = CareTag.objects.get(code="disabled")
    for i in range(12):
        registry.register_person(
            actor=admin_user, house=family["house"], name=f"住户{i}", sex="1", care_tags=[tag]
        )
    client = browser("grid1")
    ids = {key: row.pk for key, row in family.items()}

    with django_assert_max_num_queries(ceiling):
        response = client.get(url.format(**ids))

    assert response.status_code == 200
