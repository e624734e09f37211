"""The demo district: 黄埔区 of Guangzhou with real street names, invented communities and grids,
boundaries that tile each parent exactly (so maps work), the district's departments, and one
login per role. Everything is looked up by code or username first, so building it twice
changes nothing.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from grid import services
from grid.models import Area, Department, Post

DISTRICT_CODE = "440112"
DISTRICT_NAME = "黄埔区"
# Longitude/latitude box the demo district is drawn in (roughly where 黄埔区 lies).
DISTRICT_BOX = (113.40, 23.05, 113.58, 23.20)
GRIDS_PER_COMMUNITY = (2, 2)  # columns × rows; each grid holds about 200 households

STREETS = [
    ("黄埔街道", ["黄埔花园社区", "茅岗社区", "横沙社区", "下沙社区"]),
    ("红山街道", ["红山社区", "双沙社区", "沙步社区"]),
    ("鱼珠街道", ["鱼珠社区", "东苑社区", "丰乐社区"]),
    ("大沙街道", ["大沙东社区", "姬堂社区", "大沙北社区"]),
    ("文冲街道", ["文冲社区", "石化社区", "沙浦社区"]),
    ("长洲街道", ["长洲社区", "深井社区", "安来社区"]),
]

# (code suffix, name, short name, demo login or None)
BUREAUS = [
    ("JT", "区交通运输局", "交通局", "transport"),
    ("JS", "区住房和城乡建设局", "建设局", "construction"),
    ("NY", "区农业农村局（园林）", "农业园林局", "parks"),
    ("JJ", "黄埔交警大队", "交警大队", "police"),
    ("CG", "区城市管理和综合执法局", "城管局", None),
    ("MZ", "区民政局", "民政局", None),
    ("GA", "黄埔公安分局", "公安分局", None),
]

HOME_STREET = "黄埔街道"
HOME_COMMUNITY = "黄埔花园社区"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: str
    place: str  # where the post is, in words, for the printed list


def _rectangle(min_lng, min_lat, max_lng, max_lat) -> dict:
    ring = [
        [round(min_lng, 6), round(min_lat, 6)],
        [round(max_lng, 6), round(min_lat, 6)],
        [round(max_lng, 6), round(max_lat, 6)],
        [round(min_lng, 6), round(max_lat, 6)],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _split(box, columns: int, rows: int) -> list[tuple[float, float, float, float]]:
    """Cut a box into columns × rows boxes that tile it, west to east, then south to north."""
    min_lng, min_lat, max_lng, max_lat = box
    width = (max_lng - min_lng) / columns
    height = (max_lat - min_lat) / rows
    return [
        (
            min_lng + c * width,
            min_lat + r * height,
            min_lng + (c + 1) * width,
            min_lat + (r + 1) * height,
        )
        for r in range(rows)
        for c in range(columns)
    ]


def _area(*, level, code, name, parent, box) -> Area:
    existing = Area.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return services.create_area(
        level=level, code=code, name=name, parent=parent, boundary=_rectangle(*box)
    )


@transaction.atomic
def build_hierarchy() -> Area:
    """The district, its streets, communities and grids; returns the district."""
    district = _area(
        level=Area.Level.DISTRICT,
        code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        parent=None,
        box=DISTRICT_BOX,
    )
    street_boxes = _split(DISTRICT_BOX, 3, 2)
    for s_index, ((street_name, communities), s_box) in enumerate(
        zip(STREETS, street_boxes, strict=True), start=1
    ):
        street = _area(
            level=Area.Level.STREET,
            code=f"{DISTRICT_CODE}{s_index:03d}",
            name=street_name,
            parent=district,
            box=s_box,
        )
        for c_index, (community_name, c_box) in enumerate(
            zip(communities, _split(s_box, len(communities), 1), strict=True), start=1
        ):
            community = _area(
                level=Area.Level.COMMUNITY,
                code=f"{street.code}{c_index:03d}",
                name=community_name,
                parent=street,
                box=c_box,
            )
            for g_index, g_box in enumerate(_split(c_box, *GRIDS_PER_COMMUNITY), start=1):
                _area(
                    level=Area.Level.GRID,
                    code=f"{community.code}{g_index:02d}",
                    name=f"{community_name}第{g_index}网格",
                    parent=community,
                    box=g_box,
                )
    return district


@transaction.atomic
def build_departments(district: Area) -> dict[str, Department]:
    """The district bureaus (keyed by demo login where one works there) and one street
    enforcement team per street."""
    by_login = {}
    for suffix, name, short_name, login in BUREAUS:
        department, _created = Department.objects.get_or_create(
            code=f"{DISTRICT_CODE}-{suffix}",
            defaults={"name": name, "short_name": short_name, "area": district},
        )
        if login:
            by_login[login] = department
    for street in district.children.all():
        Department.objects.get_or_create(
            code=f"{street.code}-ZF",
            defaults={
                "name": f"{street.name}综合执法队",
                "short_name": "执法队",
                "kind": Department.Kind.STREET_OFFICE,
                "area": street,
            },
        )
    return by_login


@transaction.atomic
def build_logins(district: Area, departments: dict[str, Department], password: str):
    """One user per role; returns the list of DemoLogin for printing."""
    street = district.children.get(name=HOME_STREET)
    community = street.children.get(name=HOME_COMMUNITY)
    grid1, grid2 = community.children.order_by("code")[:2]
    R = Post.Role
    plan = [
        ("grid1", "王秀英", R.GRID_WORKER, grid1, None),
        ("grid2", "陈志强", R.GRID_WORKER, grid2, None),
        ("community", "刘芳", R.COMMUNITY_STAFF, community, None),
        ("street", "黄伟", R.STREET_STAFF, street, None),
        ("district", "张敏", R.DISTRICT_DISPATCHER, district, None),
        ("transport", "周建国", R.DEPARTMENT_STAFF, None, departments["transport"]),
        ("construction", "吴磊", R.DEPARTMENT_STAFF, None, departments["construction"]),
        ("parks", "郑丽", R.DEPARTMENT_STAFF, None, departments["parks"]),
        ("police", "孙涛", R.DEPARTMENT_STAFF, None, departments["police"]),
        ("supervisor", "林国栋", R.SUPERVISOR, district, None),
        ("admin", "系统管理员", R.ADMIN, district, None),
    ]
    User = get_user_model()
    logins = []
    for username, full_name, role, area, department in plan:
        user, _created = User.objects.get_or_create(username=username)
        # Chinese names are written whole; get_full_name() then reads "王秀英", not "秀英 王".
        user.first_name, user.last_name = full_name, ""
        user.is_staff = user.is_superuser = username == "admin"
        user.set_password(password)
        user.save()
        services.assign_post(user, role=role, area=area, department=department)
        logins.append(
            DemoLogin(username, full_name, Post.Role(role).label, (area or department).name)
        )
    return logins


def build_demo(password: str) -> list[DemoLogin]:
    """The whole demo district; safe to run again."""
    district = build_hierarchy()
    departments = build_departments(district)
    return build_logins(district, departments, password)
