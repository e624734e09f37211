"""Synthetic people for the demo registry (以房管人): buildings, houses, households and persons
that look like a Guangzhou district's, and a bulk loader that writes a million of them in
minutes.

Two halves:

- `PopulationGenerator` plans a grid's population in memory, deterministically for a seed
  (`random.Random`), touching no database: buildings with floors and units, houses with their
  use, households of 1–6 with relations to the head after GB/T 4761 and ages that fit them,
  Chinese names, valid resident ID numbers (GB 11643, unique), code-table values, care tags.
- `seed_population()` / `write_grid()` write a plan as exactly the rows grid/registry.py would
  (Building, House, Household with its head, Person with its keyed `id_digest` and current
  grid/house/household/relation, care tag links, Membership, Residence and the move-in or birth
  LifeEvent), with COPY on PostgreSQL and `bulk_create` elsewhere. One deliberate difference:
  the services audit each person created, the loader writes one IMPORT audit entry per grid.

Seeding tops up: each grid is filled up to its target (households by default, persons with
`persons=N`), so running it again adds nothing.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count
from django.utils import timezone
from tqdm import tqdm

from grid import crypto, idnumbers, registry
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY
from grid.models import (
    Area,
    AuditEntry,
    Building,
    CareTag,
    House,
    Household,
    LifeEvent,
    Membership,
    Person,
    Residence,
)

DEFAULT_SEED = 20240101
# From this many persons on, a PostgreSQL load builds indexes and checks keys once at the end.
BULK_LOAD_PERSONS = 50_000
HOME_GRID_HOUSEHOLDS = 200  # the "grids of about 200 households each"
OTHER_GRID_HOUSEHOLDS = 20  # enough to click through, small enough for `make run`

HEAD, SPOUSE, SON, DAUGHTER = "02", "10", "20", "30"
DAUGHTER_IN_LAW = "38"
GRANDSON, GRANDDAUGHTER, DAUGHTERS_SON, DAUGHTERS_DAUGHTER = "41", "42", "43", "44"
FATHER, MOTHER, WIFES_FATHER, WIFES_MOTHER = "51", "52", "55", "56"
NOT_RELATED = "99"
CHILD_RELATIONS = frozenset({SON, DAUGHTER})
GRANDCHILD_RELATIONS = frozenset({GRANDSON, GRANDDAUGHTER, DAUGHTERS_SON, DAUGHTERS_DAUGHTER})
PARENT_RELATIONS = frozenset({FATHER, MOTHER, WIFES_FATHER, WIFES_MOTHER})

MALE, FEMALE = "1", "2"
REGISTERED, FLOATING, LEFT_BEHIND, FOREIGN = (
    Person.PopulationType.REGISTERED.value,
    Person.PopulationType.FLOATING.value,
    Person.PopulationType.LEFT_BEHIND.value,
    Person.PopulationType.FOREIGN.value,
)
SELF_OCCUPIED, RENTED, VACANT, BUSINESS, OTHER_USE = (
    House.Use.SELF_OCCUPIED.value,
    House.Use.RENTED.value,
    House.Use.VACANT.value,
    House.Use.BUSINESS.value,
    House.Use.OTHER.value,
)
DAY_PER_YEAR = 365.25

# Names ----------------------------------------------------------------------------------------


class Weighted:
    """A weighted choice, its cumulative weights computed once: `random.choices` recomputes
    them on every call, which a million people notice."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = tuple(item for item, _weight in pairs)
        self.cumulative = tuple(itertools.accumulate(weight for _item, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted(text: str) -> Weighted:
    """ "陈:10 黄:7 …" as a weighted choice."""
    return Weighted(
        [(name, float(weight)) for name, weight in (w.split(":") for w in text.split())]
    )


# Surname frequencies: one list as they are in Guangdong, one as they are nationally (people
# born elsewhere). Shares in per cent, roughly after the published surname surveys.
GUANGDONG_SURNAMES = _weighted(
    "陈:10 黄:7 李:7 梁:5 林:5 张:5 何:4 刘:4 吴:4 罗:3 郑:3 谢:3 杨:3 冯:2 邓:2 周:2 朱:2 "
    "曾:2 许:2 叶:2 苏:2 蔡:2 钟:2 卢:2 潘:2 彭:1.5 赖:1.5 胡:1.5 王:2 江:1 余:1 关:1 麦:1 "
    "温:1 莫:1 黎:1 谭:1 郭:1 袁:1 徐:1 马:1 高:1 唐:1 伍:1 方:1 区:0.5 邝:0.5 丘:0.5 "
    "赵:0.5 孙:0.5 宋:0.5 甘:0.5 骆:0.5 侯:0.5 简:0.5 欧阳:0.3 司徒:0.2 冼:0.3 容:0.3"
)
NATIONAL_SURNAMES = _weighted(
    "王:7.1 李:7 张:6.7 刘:5.4 陈:4.6 杨:3.1 黄:2.2 赵:2.1 吴:2 周:1.9 徐:1.5 孙:1.5 马:1.4 "
    "朱:1.3 胡:1.3 郭:1.2 何:1.2 高:1.1 林:1.1 罗:1 郑:1 梁:0.9 谢:0.8 宋:0.8 唐:0.8 许:0.7 "
    "韩:0.7 冯:0.7 邓:0.7 曹:0.6 彭:0.6 曾:0.6 肖:0.6 田:0.5 董:0.5 袁:0.5 潘:0.5 于:0.5 "
    "蒋:0.5 蔡:0.5 余:0.5 杜:0.4 叶:0.4 程:0.4 苏:0.4 魏:0.4 吕:0.4 丁:0.4 任:0.4 沈:0.4 "
    "姚:0.3 卢:0.3 姜:0.3 崔:0.3 钟:0.3 谭:0.3 陆:0.3 汪:0.3 范:0.3 金:0.3 石:0.3 廖:0.3 "
    "贾:0.3 夏:0.3 韦:0.3 付:0.3 方:0.3 白:0.2 邹:0.2 孟:0.2 熊:0.2 秦:0.2 邱:0.2 江:0.2 "
    "尹:0.2 薛:0.2 闫:0.2 段:0.2 雷:0.2 侯:0.2 龙:0.2 史:0.2 陶:0.2 黎:0.2 贺:0.2 顾:0.2 "
    "毛:0.2 郝:0.2 龚:0.2 邵:0.2 万:0.2 覃:0.2"
)

# Characters of given names, by sex and by the generation they were fashionable in.
GIVEN_NAME_CHARACTERS = {
    (MALE, "old"): "国建华明德福贵荣强平志忠文军民生林海松祥伟庆兴富有成发良光锦昌炳耀棠基权均",
    (MALE, "mid"): "伟强磊军勇杰涛斌超辉刚健俊峰波鹏华明亮东飞兵锋彬浩凯志嘉文剑晓新宏海家荣",
    (MALE, "young"): "轩宇浩子睿博泽晨辰皓俊杰铭航嘉翔煜然彦宸逸霖祺骏乐梓熙诚鑫锐天一昊阳",
    (FEMALE, "old"): "秀英兰玉桂珍凤芳华琼梅淑娣莲彩金银妹群燕丽爱月萍翠杏好娟巧",
    (FEMALE, "mid"): "丽芳敏静燕艳娟霞玲红琳慧婷雪颖洁晶莉倩婉薇欣丹瑶萍蕾虹妍佳美",
    (FEMALE, "young"): "涵萱怡欣琪悦彤雯晴诗梓雨思妍可一馨瑶嘉琳佳蕊若芷安语乐宁曦沁",
}

# (country, passport prefix, digits, male names, female names) for the few foreign residents.
FOREIGNERS = (
    ("韩国", "M", 8, ("KIM MINJUN", "PARK JIHOON", "LEE DONGHYUN"), ("LEE SEOYEON", "CHOI JIWOO")),
    ("越南", "C", 7, ("NGUYEN VAN AN", "TRAN MINH DUC"), ("TRAN THI MAI", "LE THI HOA")),
    ("日本", "TK", 7, ("TANAKA HIROSHI", "SATO KENJI"), ("SUZUKI YUKI", "TAKAHASHI AOI")),
    ("尼日利亚", "A", 8, ("OKAFOR CHINEDU", "ADEYEMI TUNDE"), ("NWOSU ADAEZE",)),
    ("俄罗斯", "75", 7, ("IVANOV ALEKSEI", "PETROV DMITRY"), ("SMIRNOVA OLGA",)),
    ("美国", "5", 8, ("SMITH JAMES", "JOHNSON MICHAEL"), ("BROWN EMILY", "DAVIS SARAH")),
)

# Places ---------------------------------------------------------------------------------------

# GB/T 2260 county-level codes people in a Guangzhou district come from, by group.
HOME_REGION = ("440112", "广东省广州市黄埔区")
GUANGZHOU_REGIONS = (
    ("440103", "广东省广州市荔湾区"),
    ("440104", "广东省广州市越秀区"),
    ("440105", "广东省广州市海珠区"),
    ("440106", "广东省广州市天河区"),
    ("440111", "广东省广州市白云区"),
    ("440113", "广东省广州市番禺区"),
    ("440114", "广东省广州市花都区"),
    ("440115", "广东省广州市南沙区"),
    ("440117", "广东省广州市从化区"),
    ("440118", "广东省广州市增城区"),
)
GUANGDONG_REGIONS = (
    ("440303", "广东省深圳市罗湖区"),
    ("440402", "广东省珠海市香洲区"),
    ("440507", "广东省汕头市龙湖区"),
    ("440604", "广东省佛山市禅城区"),
    ("440703", "广东省江门市蓬江区"),
    ("440802", "广东省湛江市赤坎区"),
    ("440902", "广东省茂名市茂南区"),
    ("441202", "广东省肇庆市端州区"),
    ("441302", "广东省惠州市惠城区"),
    ("441402", "广东省梅州市梅江区"),
    ("441502", "广东省汕尾市城区"),
    ("441602", "广东省河源市源城区"),
    ("441702", "广东省阳江市江城区"),
    ("441802", "广东省清远市清城区"),
    ("441900", "广东省东莞市"),
    ("442000", "广东省中山市"),
    ("445102", "广东省潮州市湘桥区"),
    ("445202", "广东省揭阳市榕城区"),
    ("445302", "广东省云浮市云城区"),
)
OTHER_PROVINCE_REGIONS = (
    ("430104", "湖南省长沙市岳麓区"),
    ("430421", "湖南省衡阳市衡阳县"),
    ("430524", "湖南省邵阳市隆回县"),
    ("431121", "湖南省永州市祁阳县"),
    ("450102", "广西壮族自治区南宁市兴宁区"),
    ("450881", "广西壮族自治区贵港市桂平市"),
    ("450921", "广西壮族自治区玉林市容县"),
    ("360124", "江西省南昌市进贤县"),
    ("360704", "江西省赣州市赣县区"),
    ("510104", "四川省成都市锦江区"),
    ("511321", "四川省南充市南部县"),
    ("420102", "湖北省武汉市江岸区"),
    ("421023", "湖北省荆州市监利县"),
    ("410102", "河南省郑州市中原区"),
    ("411726", "河南省驻马店市泌阳县"),
    ("350102", "福建省福州市鼓楼区"),
    ("520102", "贵州省贵阳市南明区"),
    ("500101", "重庆市万州区"),
    ("500230", "重庆市丰都县"),
    ("340102", "安徽省合肥市瑶海区"),
    ("370102", "山东省济南市历下区"),
    ("460105", "海南省海口市秀英区"),
    ("610102", "陕西省西安市新城区"),
    ("530102", "云南省昆明市五华区"),
    ("230102", "黑龙江省哈尔滨市道里区"),
    ("110105", "北京市朝阳区"),
    ("310104", "上海市徐汇区"),
)
# Where the head of a household was born, by group, for registered and floating households.
REGION_GROUPS = {
    REGISTERED: ((60, (HOME_REGION,)), (20, GUANGZHOU_REGIONS), (13, GUANGDONG_REGIONS),
                 (7, OTHER_PROVINCE_REGIONS)),
    FLOATING: ((40, GUANGDONG_REGIONS), (60, OTHER_PROVINCE_REGIONS)),
}  # fmt: skip
TOWNS = _words("城关镇 新市镇 白石镇 长乐镇 石桥镇 太平镇 龙田镇 和平镇 江口镇 永安镇 新华街道")
VILLAGES = _words("上坪 下塘 新屋 东山 石岭 大坑 水口 禾田 河背 高岭 塘尾 社下")
ROADS = _words(
    "黄埔东路 大沙地东 港湾路 丰乐北路 鱼珠街 黄埔北路 石化路 长洲路 文冲路 下沙路 茅岗路 "
    "双沙路 姬堂路 大沙东路 蟹山路 怡港路 沙步路 红山三路"
)
ESTATE_SUFFIXES = ("花园", "新村", "雅苑", "小区", "华庭", "公寓")
PHASES = "一二三四五六七八九十"

# Work -----------------------------------------------------------------------------------------

COMPANY_WORDS = _words("恒达 粤华 联创 金港 科信 宏图 安捷 盛世 华南 新珠 鸿运 建辉")
COMPANY_TRADES = _words("科技 电子 汽车零部件 物流 建材 食品 生物医药 化工 精密制造 贸易 物业管理")
UNIVERSITIES = ("华南理工大学", "中山大学", "广东工业大学", "广州大学", "暨南大学", "华南师范大学")
SCHOOLS = _words("怡园 港湾 丰乐 文冲 下沙 长洲 大沙 茅岗 横沙 双沙")
# (occupation, weight, kind of employer or "" for none)
OCCUPATIONS = (
    ("公司职员", 20, "company"),
    ("工人", 16, "company"),
    ("个体工商户", 10, ""),
    ("工程技术人员", 7, "company"),
    ("销售人员", 7, "company"),
    ("教师", 4, "school"),
    ("医生", 2, "hospital"),
    ("护士", 2, "hospital"),
    ("快递员", 4, "courier"),
    ("外卖骑手", 3, "courier"),
    ("网约车司机", 3, ""),
    ("公务员", 2, "government"),
    ("厨师", 3, "restaurant"),
    ("保安员", 3, "company"),
    ("家政服务员", 2, ""),
    ("财务人员", 3, "company"),
    ("自由职业", 4, ""),
    ("待业", 5, ""),
)
HOSPITALS = ("广州市黄埔区人民医院", "广州市黄埔区中医医院", "黄埔街社区卫生服务中心")
COURIERS = ("顺丰速运有限公司", "中通快递黄埔分部", "美团配送黄埔站点", "京东物流黄埔营业部")
RESTAURANTS = ("粤香楼酒家", "港湾茶餐厅", "湘味小厨", "客家人家酒楼")
MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "170 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)

# Education (GB/T 4658) of adults by birth cohort: (code, weight).
ADULT_EDUCATION = {
    "old": Weighted((("81", 30), ("71", 35), ("61", 20), ("41", 5), ("31", 6), ("21", 4))),
    "mid": Weighted((("71", 28), ("61", 22), ("41", 8), ("47", 4), ("31", 17), ("21", 18),
                     ("14", 3))),
    "young": Weighted((("71", 12), ("61", 14), ("44", 8), ("47", 4), ("31", 26), ("21", 30),
                       ("14", 5), ("11", 1))),
}  # fmt: skip
# Other than Han (01): the nationalities most often met among migrants to Guangzhou.
OTHER_ETHNICITIES = Weighted((("08", 30), ("15", 20), ("06", 15), ("03", 10), ("13", 10),
                              ("12", 5), ("07", 5), ("22", 5)))  # fmt: skip
RELIGIONS = Weighted((("00", 900), ("10", 60), ("50", 20), ("30", 10), ("40", 5), ("99", 5)))

# Households: kind → weight, for registered and for floating households.
REGISTERED_KINDS = {
    "single_elderly": 9, "single_young": 6, "couple_young": 7, "couple_elderly": 11,
    "nuclear": 30, "three_generations": 14, "elder_three_generations": 9, "single_parent": 6,
    "left_behind": 3,
}  # fmt: skip
FLOATING_KINDS = {
    "single_elderly": 1, "single_young": 30, "couple_young": 16, "couple_elderly": 2,
    "nuclear": 30, "three_generations": 5, "single_parent": 4, "collective": 12,
}  # fmt: skip
MIN_SIZE = {
    "single_elderly": 1, "single_young": 1, "couple_young": 2, "couple_elderly": 2,
    "nuclear": 3, "three_generations": 4, "elder_three_generations": 3, "single_parent": 2,
    "left_behind": 2, "collective": 2,
}  # fmt: skip

# Buildings: floors, units, rooms per floor and unit, floor area, and use of houses.
BUILDING_KINDS = {
    "walkup": {"weight": 40, "floors": (6, 8), "units": (1, 3), "rooms": (2, 2),
               "area": (48, 90), "uses": {SELF_OCCUPIED: 72, RENTED: 20, VACANT: 6, OTHER_USE: 2},
               "shops": 0.3},
    "midrise": {"weight": 25, "floors": (11, 18), "units": (1, 2), "rooms": (4, 4),
                "area": (70, 130), "uses": {SELF_OCCUPIED: 75, RENTED: 17, VACANT: 8},
                "shops": 0.0},
    "tower": {"weight": 12, "floors": (25, 33), "units": (1, 2), "rooms": (4, 4),
              "area": (80, 140), "uses": {SELF_OCCUPIED: 74, RENTED: 16, VACANT: 10},
              "shops": 0.0},
    "village": {"weight": 23, "floors": (4, 7), "units": (1, 1), "rooms": (2, 4),
                "area": (25, 60), "uses": {RENTED: 66, SELF_OCCUPIED: 26, VACANT: 8},
                "shops": 0.4},
}  # fmt: skip


# Plans ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonPlan:
    """One person as grid/registry.py's register_person would take them."""

    name: str
    sex: str
    birth_date: date
    relation: str
    id_type: str = idnumbers.IdType.RESIDENT.value
    id_number: str = ""
    ethnicity: str = "01"
    native_place: str = ""
    marital_status: str = "10"
    political_status: str = ""
    education: str = ""
    religion: str = "00"
    occupation: str = ""
    employer: str = ""
    phone: str = ""
    other_phone: str = ""
    population_type: str = REGISTERED
    registered_address: str = ""
    current_address: str = ""
    is_separated: bool = False
    former_name: str = ""
    care_tags: tuple[str, ...] = ()
    since: date | None = None  # moved in (or was born) on
    born_here: bool = False  # a birth into the household, not a move in

    def fields(self) -> dict:
        """The person fields of grid/registry.py (its PERSON_FIELDS)."""
        return {name: getattr(self, name) for name in registry.PERSON_FIELDS}


@dataclass(slots=True)
class HouseholdPlan:
    number: str
    kind: str
    registered_address: str
    members: list[PersonPlan]  # the head first


@dataclass(slots=True)
class HousePlan:
    unit: int
    floor: int
    number: str
    floor_area: Decimal
    use: str
    owner_name: str = ""
    owner_phone: str = ""
    household: HouseholdPlan | None = None


@dataclass(slots=True)
class BuildingPlan:
    number: str
    name: str
    address: str
    floors: int
    units: int
    lng: float | None
    lat: float | None
    houses: list[HousePlan] = field(default_factory=list)


@dataclass(frozen=True)
class GridInfo:
    """What the generator needs to know of a grid (no database access)."""

    code: str
    name: str
    community: str
    min_lng: float | None = None
    min_lat: float | None = None
    max_lng: float | None = None
    max_lat: float | None = None
    building_numbers: frozenset[str] = frozenset()
    household_numbers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, grid: Area) -> GridInfo:
        return cls(
            code=grid.code,
            name=grid.name,
            community=grid.parent.name if grid.parent_id else "",
            min_lng=grid.min_lng,
            min_lat=grid.min_lat,
            max_lng=grid.max_lng,
            max_lat=grid.max_lat,
            building_numbers=frozenset(
                Building.objects.filter(grid=grid).values_list("number", flat=True)
            ),
            household_numbers=frozenset(
                Household.objects.filter(number__startswith=grid.code).values_list(
                    "number", flat=True
                )
            ),
        )


@dataclass(slots=True)
class GridPlan:
    grid: GridInfo
    buildings: list[BuildingPlan]

    def households(self) -> Iterator[tuple[BuildingPlan, HousePlan, HouseholdPlan]]:
        for building in self.buildings:
            for house in building.houses:
                if house.household is not None:
                    yield building, house, house.household

    def persons(self) -> Iterator[PersonPlan]:
        for _building, _house, household in self.households():
            yield from household.members


# The generator --------------------------------------------------------------------------------


class PopulationGenerator:
    """Plans grids' populations. Deterministic: the same seed, `today`, grids (in the same order)
    and taken ID numbers give the same plans.

    `taken_ids` are ID numbers already in use; the generator adds every number it makes, so
    numbers are unique across every grid it plans.
    """

    def __init__(self, seed: int = DEFAULT_SEED, *, today: date | None = None, taken_ids=()):
        self.seed = seed
        self.today = today or timezone.localdate()
        self.rng = random.Random(seed)
        # Resident numbers are kept as the int of their first 17 digits (the 18th follows from
        # them): a million of them then fit in tens of megabytes.
        self._taken_residents: set[int] = set()
        self._taken_other: set[str] = set()
        for number in taken_ids:
            self._take(number)

    def _take(self, number: str) -> bool:
        """Mark `number` used; False if it already was."""
        if len(number) == 18 and number[:17].isdigit():
            key, taken = int(number[:17]), self._taken_residents
        else:
            key, taken = number, self._taken_other
        if key in taken:
            return False
        taken.add(key)
        return True

    # Grids and buildings

    def plan_grid(
        self, grid: GridInfo, *, households: int | None = None, persons: int | None = None
    ) -> GridPlan:
        """New buildings in `grid` holding `households` more households (or `persons` more
        persons, exactly); houses left over in the last building are vacant."""
        if (households is None) == (persons is None):
            raise ValueError("give either households or persons")
        self.rng = random.Random(f"{self.seed}:{grid.code}:{len(grid.household_numbers)}")
        rng = self.rng
        building_numbers = (
            str(n) for n in itertools.count(1) if str(n) not in grid.building_numbers
        )
        household_numbers = (
            number
            for n in itertools.count(1)
            if (number := f"{grid.code}{n:06d}") not in grid.household_numbers
        )
        grid_no = int(grid.code[-2:]) if grid.code[-2:].isdigit() else 1
        base = grid.community.removesuffix("社区") or grid.name
        estate = base if base.endswith(ESTATE_SUFFIXES) else base + rng.choice(ESTATE_SUFFIXES)
        if grid_no > 1:
            estate += f"{PHASES[(grid_no - 1) % len(PHASES)]}期"
        road = rng.choice(ROADS)
        buildings: list[BuildingPlan] = []
        pending: deque[tuple[BuildingPlan, HousePlan]] = deque()
        made_households = made_persons = 0

        def wanted_houses() -> int:
            left = (
                households - made_households
                if households is not None
                else math.ceil((persons - made_persons) / 2.6)
            )
            return math.ceil(left / 0.85)

        while (
            (made_households < households) if households is not None else (made_persons < persons)
        ):
            if not pending:
                building = self._building(
                    next(building_numbers), grid, estate=estate, road=road, want=wanted_houses()
                )
                buildings.append(building)
                pending.extend((building, house) for house in building.houses)
            building, house = pending.popleft()
            if house.use not in (SELF_OCCUPIED, RENTED):
                continue
            limit = 6 if persons is None else min(6, persons - made_persons)
            address = _room_address(building, house)
            household = self._household(
                next(household_numbers), use=house.use, limit=limit, address=address
            )
            house.household = household
            if house.use == SELF_OCCUPIED:
                head = household.members[0]
                house.owner_name, house.owner_phone = head.name, head.phone
            made_households += 1
            made_persons += len(household.members)
        for _building, house in pending:
            if house.use in (SELF_OCCUPIED, RENTED):
                house.use = VACANT
        return GridPlan(grid=grid, buildings=buildings)

    def _building(
        self, number: str, grid: GridInfo, *, estate: str, road: str, want: int
    ) -> BuildingPlan:
        rng = self.rng
        kinds = list(BUILDING_KINDS)
        if grid.community.removesuffix("社区").endswith(ESTATE_SUFFIXES):
            kinds.remove("village")  # a housing estate has no villagers' houses
        kind = rng.choices(kinds, [BUILDING_KINDS[k]["weight"] for k in kinds])[0]
        spec = BUILDING_KINDS[kind]
        floors, units = rng.randint(*spec["floors"]), rng.randint(*spec["units"])
        rooms = rng.randint(*spec["rooms"])
        if floors * units * rooms > want:
            # The grid's last building: a lower one rather than a tower left empty.
            floors = max(2, math.ceil(want / (units * rooms)))
        if kind == "village":
            village = grid.community.removesuffix("社区") + "村"
            name = f"{village}{rng.randint(1, 12)}巷{number}号"
            address = f"广州市黄埔区{name}"
        else:
            name = f"{estate}{number}栋"
            address = f"广州市黄埔区{road}{rng.randint(1, 300)}号{name}"
        building = BuildingPlan(
            number=number,
            name=name,
            address=address,
            floors=floors,
            units=units,
            lng=_between(rng, grid.min_lng, grid.max_lng),
            lat=_between(rng, grid.min_lat, grid.max_lat),
        )
        uses = Weighted(spec["uses"].items())
        shops = rng.random() < spec["shops"]
        low, high = spec["area"]
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for room in range(1, rooms + 1):
                    ground_shop = shops and floor == 1
                    use = BUSINESS if ground_shop else uses.pick(rng)
                    owner = "" if use == SELF_OCCUPIED else self._any_name()
                    building.houses.append(
                        HousePlan(
                            unit=unit,
                            floor=floor,
                            number=f"{floor}{room:02d}",
                            floor_area=Decimal(f"{rng.uniform(low, high):.2f}"),
                            use=use,
                            owner_name=owner,
                            owner_phone=self._phone() if owner else "",
                        )
                    )
        return building

    # Households

    def _household(self, number: str, *, use: str, limit: int, address: str) -> HouseholdPlan:
        rng = self.rng
        if use == RENTED and rng.random() < 0.015:
            return self._foreign_household(number, limit=limit, address=address)
        floating = rng.random() < (0.8 if use == RENTED else 0.08)
        population = FLOATING if floating else REGISTERED
        kind = _HOUSEHOLD_KINDS[floating, limit].pick(rng)
        region = self._region(population)
        separated = floating or rng.random() < 0.08
        context = _Household(
            population=population,
            region=region,
            address=address,
            separated=separated,
            registered_address=(
                self._hometown(region)
                if floating
                else (self._elsewhere_in_guangzhou() if separated else "广东省" + address)
            ),
            since=self._moved_in(floating),
        )
        members = getattr(self, f"_{kind}")(context, limit)
        # The couple at the head moved in as adults; their children may have been born here.
        adults = [m.birth_date for m in members if m.relation in (HEAD, SPOUSE)]
        grown_up = max(adults) + timedelta(days=int(18 * DAY_PER_YEAR))
        context.since = min(max(context.since, grown_up), self.today)
        for member in members:
            self._finish(member, context)
        self._care_tags(members, kind, context)
        return HouseholdPlan(
            number=number,
            kind=(
                Household.Kind.COLLECTIVE.value
                if kind == "collective"
                else Household.Kind.FAMILY.value
            ),
            registered_address=context.registered_address,
            members=members,
        )

    def _single_elderly(self, ctx, limit):
        sex = MALE if self.rng.random() < 0.35 else FEMALE
        marital = self.rng.choices(("30", "40", "10", "20"), (75, 12, 5, 8))[0]
        return [self._person(ctx, sex, self._born(65, 96), HEAD, marital)]

    def _single_young(self, ctx, limit):
        sex = MALE if self.rng.random() < 0.55 else FEMALE
        marital = self.rng.choices(("10", "20", "40"), (78, 14, 8))[0]
        return [self._person(ctx, sex, self._born(19, 46), HEAD, marital)]

    def _couple(self, ctx, ages: tuple[int, int]):
        head_sex = MALE if self.rng.random() < 0.85 else FEMALE
        head = self._person(ctx, head_sex, self._born(*ages), HEAD, "20")
        gap = timedelta(days=int(self.rng.gauss(2, 2.5) * DAY_PER_YEAR))
        birth = head.birth_date + (gap if head_sex == MALE else -gap)
        # A spouse is at least 20. Clamping every younger draw to that one day put hundreds of
        # people of one region, sex and birthday in a million (the ID number has 500 sequence
        # numbers per sex and day): a day in the year before it keeps the ages and spreads them.
        youngest = self.today - timedelta(days=int(20 * DAY_PER_YEAR))
        if birth > youngest:
            birth = youngest - timedelta(days=head.birth_date.toordinal() % 365)
        spouse = self._person(ctx, _other(head_sex), birth, SPOUSE, "20", near=head)
        return head, spouse

    def _couple_young(self, ctx, limit):
        return list(self._couple(ctx, (23, 40)))

    def _couple_elderly(self, ctx, limit):
        return list(self._couple(ctx, (60, 88)))

    def _children(self, ctx, father, mother, surname: str, count: int) -> list[PersonPlan]:
        """Up to `count` children of `mother` (born when she was 21 to 42), the father's
        surname; their ID region is where their parent's household registration is."""
        parent = father if father is not None and father.id_number else mother
        children: list[PersonPlan] = []
        earliest = mother.birth_date + timedelta(days=int(21 * DAY_PER_YEAR))
        latest = min(mother.birth_date + timedelta(days=int(42 * DAY_PER_YEAR)), self.today)
        for _ in range(count):
            if earliest > latest:
                break
            birth = _date_between(self.rng, earliest, min(latest, earliest + timedelta(days=2900)))
            sex = MALE if self.rng.random() < 0.52 else FEMALE
            relation = SON if sex == MALE else DAUGHTER
            registered_here = ctx.population == REGISTERED and self.rng.random() < 0.85
            region = HOME_REGION[0] if registered_here else parent.id_number[:6]
            children.append(
                self._person(ctx, sex, birth, relation, "10", surname=surname, region=region)
            )
            earliest = birth + timedelta(days=400)
        return children

    def _nuclear(self, ctx, limit):
        head, spouse = self._couple(ctx, (27, 56))
        father, mother = (head, spouse) if head.sex == MALE else (spouse, head)
        count = min(limit - 2, self.rng.choices((1, 2, 3), (55, 40, 5))[0])
        return [head, spouse, *self._children(ctx, father, mother, _surname(father), count)]

    def _three_generations(self, ctx, limit):
        head, spouse = self._couple(ctx, (28, 50))
        father, mother = (head, spouse) if head.sex == MALE else (spouse, head)
        elders = min(limit - 3, self.rng.choices((1, 2), (45, 55))[0])
        kids = min(limit - 2 - elders, self.rng.choices((1, 2), (60, 40))[0])
        members = [head, spouse, *self._children(ctx, father, mother, _surname(father), kids)]
        # Usually the head's own parents; sometimes (a male head) his wife's.
        wifes = head.sex == MALE and self.rng.random() < 0.2
        child = spouse if wifes else head
        surname = _surname(child)
        relations = (WIFES_FATHER, WIFES_MOTHER) if wifes else (FATHER, MOTHER)
        sexes = (MALE, FEMALE) if elders == 2 else (self.rng.choice((MALE, FEMALE)),)
        for sex in sexes:
            birth = child.birth_date - timedelta(days=self.rng.randint(8400, 13500))
            if (self.today - birth).days > 99 * DAY_PER_YEAR:
                continue
            relation = relations[0] if sex == MALE else relations[1]
            marital = "20" if len(sexes) == 2 else "30"
            region = child.id_number[:6] if self.rng.random() < 0.7 else None
            members.append(
                self._person(
                    ctx,
                    sex,
                    birth,
                    relation,
                    marital,
                    surname=surname if sex == MALE else None,
                    region=region,
                )
            )
        return members

    def _elder_three_generations(self, ctx, limit):
        head, spouse = self._couple(ctx, (55, 82))
        father, mother = (head, spouse) if head.sex == MALE else (spouse, head)
        son_birth = mother.birth_date + timedelta(days=self.rng.randint(7700, 12000))
        if son_birth > self.today - timedelta(days=int(18 * DAY_PER_YEAR)):
            son_birth = self.today - timedelta(days=int(18 * DAY_PER_YEAR))
        son = self._person(
            ctx, MALE, son_birth, SON, "10", surname=_surname(father), region=father.id_number[:6]
        )
        members = [head, spouse, son]
        if limit >= 4 and (self.today - son_birth).days > 24 * DAY_PER_YEAR:
            son.marital_status = "20"
            wife_birth = min(
                son_birth + timedelta(days=self.rng.randint(-900, 1500)),
                self.today - timedelta(days=int(21 * DAY_PER_YEAR)),
            )
            wife = self._person(ctx, FEMALE, wife_birth, DAUGHTER_IN_LAW, "20", near=son)
            members.append(wife)
            count = min(limit - 4, self.rng.choices((0, 1, 2), (20, 50, 30))[0])
            for child in self._children(ctx, son, wife, _surname(son), count):
                child.relation = GRANDSON if child.sex == MALE else GRANDDAUGHTER
                members.append(child)
        return members

    def _single_parent(self, ctx, limit):
        sex = FEMALE if self.rng.random() < 0.7 else MALE
        marital = self.rng.choices(("40", "30"), (70, 30))[0]
        head = self._person(ctx, sex, self._born(27, 52), HEAD, marital)
        count = min(limit - 1, self.rng.choices((1, 2), (70, 30))[0])
        surname = _surname(head) if sex == MALE or self.rng.random() < 0.4 else self._surname(ctx)
        if sex == MALE:
            # The children's mother does not live here; only her age matters.
            mother = PersonPlan(
                name="",
                sex=FEMALE,
                birth_date=head.birth_date + timedelta(days=self.rng.randint(-700, 1500)),
                relation="",
            )
            return [head, *self._children(ctx, head, mother, surname, count)]
        return [head, *self._children(ctx, None, head, surname, count)]

    def _left_behind(self, ctx, limit):
        """Grandparents raising grandchildren whose parents work elsewhere (留守)."""
        members = (
            list(self._couple(ctx, (58, 78)))
            if limit >= 3 and self.rng.random() < 0.6
            else [self._person(ctx, FEMALE, self._born(58, 78), HEAD, "30")]
        )
        head = members[0]
        via_son = self.rng.random() < 0.75
        parent_birth = head.birth_date + timedelta(days=self.rng.randint(8000, 12500))
        earliest = max(
            parent_birth + timedelta(days=int(20 * DAY_PER_YEAR)),
            self.today - timedelta(days=int(15 * DAY_PER_YEAR)),
        )
        surname = _surname(head) if via_son and head.sex == MALE else self._surname(ctx)
        for _ in range(min(limit - len(members), self.rng.choices((1, 2), (65, 35))[0])):
            if earliest > self.today:
                break
            birth = _date_between(self.rng, earliest, self.today)
            sex = MALE if self.rng.random() < 0.52 else FEMALE
            relation = (
                (GRANDSON if sex == MALE else GRANDDAUGHTER)
                if via_son
                else (DAUGHTERS_SON if sex == MALE else DAUGHTERS_DAUGHTER)
            )
            child = self._person(ctx, sex, birth, relation, "10", surname=surname)
            child.population_type = LEFT_BEHIND
            members.append(child)
        return members

    def _collective(self, ctx, limit):
        """Workers sharing a rented flat, registered as a collective household (集体户)."""
        sex = MALE if self.rng.random() < 0.6 else FEMALE
        size = min(limit, self.rng.randint(2, 6))
        members = [self._person(ctx, sex, self._born(20, 45), HEAD, "10")]
        for _ in range(size - 1):
            region = self._region(FLOATING)
            marital = "10" if self.rng.random() < 0.8 else "20"
            members.append(
                self._person(ctx, sex, self._born(18, 45), NOT_RELATED, marital, region=region[0])
            )
        return members

    def _foreign_household(self, number: str, *, limit: int, address: str) -> HouseholdPlan:
        rng = self.rng
        country, prefix, digits, men, women = rng.choice(FOREIGNERS)
        couple = limit > 1 and rng.random() < 0.3
        head_sex = MALE if rng.random() < 0.7 else FEMALE
        since = self._moved_in(True)
        members = []
        for relation in (HEAD, SPOUSE) if couple else (HEAD,):
            sex = head_sex if relation == HEAD else _other(head_sex)
            while True:
                passport = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
                if self._take(passport):
                    break
            birth = self._born(22, 60)
            members.append(
                PersonPlan(
                    name=rng.choice(men if sex == MALE else women),
                    sex=sex,
                    birth_date=birth,
                    relation=relation,
                    id_type=idnumbers.IdType.PASSPORT.value,
                    id_number=passport,
                    ethnicity="",
                    native_place=country,
                    marital_status="20" if couple else rng.choice(("10", "20")),
                    religion=rng.choices(("00", "50", "40", "70", "10"), (50, 20, 10, 10, 10))[0],
                    occupation=rng.choice(("外贸商人", "外籍教师", "公司职员", "留学生")),
                    phone=self._phone(),
                    population_type=FOREIGN,
                    current_address=address,
                    since=since,
                )
            )
        for member in members:
            member.since = max(member.since, member.birth_date)
        return HouseholdPlan(
            number=number, kind=Household.Kind.FAMILY.value, registered_address="", members=members
        )

    # People

    def _person(
        self,
        ctx: _Household,
        sex: str,
        birth: date,
        relation: str,
        marital: str,
        *,
        surname: str | None = None,
        region: str | None = None,
        near: PersonPlan | None = None,
    ) -> PersonPlan:
        """A person with a name and a resident ID number; `near` (a spouse) shares their
        partner's home region more often than not."""
        birth = min(max(birth, idnumbers.EARLIEST_BIRTH_DATE), self.today)
        if region is None:
            if relation == HEAD:
                region = ctx.region[0]
            elif near is not None and self.rng.random() < 0.55:
                region = near.id_number[:6]
            else:
                region = self._region(ctx.population)[0]
        return PersonPlan(
            name=(surname or self._surname_for(region)) + self._given_name(sex, birth),
            sex=sex,
            birth_date=birth,
            relation=relation,
            id_number=self._resident_id(region, birth, sex),
            marital_status=marital,
        )

    def _resident_id(self, region: str, birth: date, sex: str) -> str:
        for _ in range(2000):
            sequence = 2 * self.rng.randrange(500) + (1 if sex == MALE else 0)
            number = idnumbers.make_resident_id(region, birth, sequence)
            if self._take(number):
                return number
        raise RuntimeError("no free ID sequence number left for this region and day")

    def _finish(self, person: PersonPlan, ctx: _Household) -> None:
        """Everything but name, sex, birth and ID: what follows from age and household."""
        rng = self.rng
        age = _age(person.birth_date, self.today)
        region = _REGION_NAMES.get(person.id_number[:6], ctx.region[1])
        person.native_place = region
        person.population_type = (
            person.population_type if person.population_type != REGISTERED else ctx.population
        )
        person.current_address = ctx.address
        person.is_separated = ctx.separated
        if ctx.population == FLOATING:
            person.registered_address = (
                ctx.registered_address
                if person.id_number[:6] == ctx.region[0]
                else self._hometown((person.id_number[:6], region))
            )
        else:
            person.registered_address = ctx.registered_address
        if rng.random() < 0.96:
            person.ethnicity = "01"
        else:
            person.ethnicity = OTHER_ETHNICITIES.pick(rng)
        person.religion = "70" if person.ethnicity == "03" else RELIGIONS.pick(rng)
        studying = age >= 6 and (age < 18 or (age < 22 and rng.random() < 0.5))
        person.education = self._education(age, person.birth_date, studying)
        person.political_status = self._political(age)
        person.occupation, person.employer = self._work(age, person.sex, studying)
        if age >= 14 and rng.random() < 0.96:
            person.phone = self._phone()
            if age >= 22 and rng.random() < 0.08:
                person.other_phone = self._phone()
        born_here = person.birth_date > ctx.since
        person.since = person.birth_date if born_here else ctx.since
        person.born_here = born_here

    def _care_tags(self, members: list[PersonPlan], kind: str, ctx: _Household) -> None:
        rng = self.rng
        low_income = ctx.population == REGISTERED and rng.random() < 0.015
        for person in members:
            age = _age(person.birth_date, self.today)
            tags = []
            if kind == "single_elderly" and age >= 60:
                tags.append("elderly_alone")
                if rng.random() < 0.03:
                    tags.append("extreme_poverty")
            if kind == "couple_elderly" and age >= 60:
                tags.append("empty_nest")
            if person.population_type == LEFT_BEHIND and age < 16:
                tags.append("left_behind_child")
            if rng.random() < (0.05 if age >= 65 else 0.012):
                tags.append("disabled")
            if low_income:
                tags.append("low_income")
            if age >= 50 and rng.random() < 0.008:
                tags.append("entitled")
            if 14 <= age <= 25 and rng.random() < 0.006:
                tags.append("key_youth")
            if age >= 18:
                roll = rng.random()
                if roll < 0.002:
                    tags.append("mental_disorder")
                elif roll < 0.003:
                    tags.append("released_prisoner")
                elif roll < 0.0035:
                    tags.append("community_correction")
                elif roll < 0.004:
                    tags.append("drug_rehab")
            person.care_tags = tuple(tags)

    def _education(self, age: int, birth: date, studying: bool) -> str:
        rng = self.rng
        if age < 6:
            return ""
        if age < 12:
            return "80"
        if age < 15:
            return "70"
        if age < 18:
            return rng.choices(("60", "40"), (75, 25))[0]
        if studying:
            return rng.choices(("20", "30"), (60, 40))[0]
        return ADULT_EDUCATION[_cohort(birth)].pick(rng)

    def _political(self, age: int) -> str:
        rng = self.rng
        if age < 14:
            return ""
        if age <= 28 and rng.random() < 0.35:
            return "03"
        roll = rng.random()
        if age >= 18 and roll < 0.08:
            return "01"
        if age >= 18 and roll < 0.085:
            return "02"
        return "13"

    def _work(self, age: int, sex: str, studying: bool) -> tuple[str, str]:
        rng = self.rng
        if age < 6:
            return "", ""
        if studying:
            if age >= 18:
                return "学生", rng.choice(UNIVERSITIES)
            return "学生", f"黄埔区{rng.choice(SCHOOLS)}{'小学' if age < 12 else '中学'}"
        if age >= (60 if sex == MALE else 55):
            return ("离退休人员", "") if rng.random() < 0.85 else ("无", "")
        occupation, employer = _OCCUPATIONS.pick(rng)
        return occupation, self._employer(employer)

    def _employer(self, kind: str) -> str:
        rng = self.rng
        if kind == "company":
            return f"广州{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"
        if kind == "school":
            return f"黄埔区{rng.choice(SCHOOLS)}{rng.choice(('小学', '中学'))}"
        if kind == "hospital":
            return rng.choice(HOSPITALS)
        if kind == "courier":
            return rng.choice(COURIERS)
        if kind == "restaurant":
            return rng.choice(RESTAURANTS)
        if kind == "government":
            return rng.choice(("黄埔区人民政府办公室", "黄埔区民政局", "黄埔街道办事处"))
        return ""

    # Small pieces

    def _born(self, youngest: int, oldest: int) -> date:
        days = self.rng.randint(int(youngest * DAY_PER_YEAR), int((oldest + 1) * DAY_PER_YEAR) - 1)
        return self.today - timedelta(days=days)

    def _moved_in(self, floating: bool) -> date:
        low, high = (30, 6 * 365) if floating else (60, 30 * 365)
        return self.today - timedelta(days=self.rng.randint(low, high))

    def _region(self, population: str) -> tuple[str, str]:
        regions = _REGION_GROUPS[FLOATING if population == FLOATING else REGISTERED]
        return self.rng.choice(regions.pick(self.rng))

    def _hometown(self, region: tuple[str, str]) -> str:
        rng = self.rng
        return f"{region[1]}{rng.choice(TOWNS)}{rng.choice(VILLAGES)}村{rng.randint(1, 99)}号"

    def _elsewhere_in_guangzhou(self) -> str:
        rng = self.rng
        return f"{rng.choice(GUANGZHOU_REGIONS)[1]}{rng.choice(ROADS)}{rng.randint(1, 400)}号"

    def _surname_for(self, region: str) -> str:
        surnames = GUANGDONG_SURNAMES if region.startswith("44") else NATIONAL_SURNAMES
        return surnames.pick(self.rng)

    def _surname(self, ctx: _Household) -> str:
        return self._surname_for(ctx.region[0])

    def _given_name(self, sex: str, birth: date) -> str:
        rng = self.rng
        characters = GIVEN_NAME_CHARACTERS[(sex, _cohort(birth))]
        if rng.random() < (0.35 if birth.year < 1970 else 0.2):
            return rng.choice(characters)
        first, second = rng.choice(characters), rng.choice(characters)
        if first == second and not (sex == FEMALE and rng.random() < 0.3):
            second = rng.choice(characters.replace(first, ""))
        return first + second

    def _any_name(self) -> str:
        sex = self.rng.choice((MALE, FEMALE))
        return self._surname_for("44") + self._given_name(sex, self._born(30, 70))

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


@dataclass(slots=True)
class _Household:
    population: str
    region: tuple[str, str]
    address: str
    separated: bool
    registered_address: str
    since: date


_OCCUPATIONS = Weighted(((name, employer), weight) for name, weight, employer in OCCUPATIONS)
_REGION_GROUPS = {
    population: Weighted((r, w) for w, r in g) for population, g in REGION_GROUPS.items()
}
_HOUSEHOLD_KINDS = {
    (floating, limit): Weighted(
        (kind, weight)
        for kind, weight in (FLOATING_KINDS if floating else REGISTERED_KINDS).items()
        if MIN_SIZE[kind] <= limit
    )
    for floating in (False, True)
    for limit in range(1, 7)
}
REGISTRY_MODELS = (
    Building,
    House,
    Household,
    Person,
    Person.care_tags.through,
    Membership,
    Residence,
    LifeEvent,
)
_REGION_NAMES = dict((HOME_REGION, *GUANGZHOU_REGIONS, *GUANGDONG_REGIONS, *OTHER_PROVINCE_REGIONS))


def _other(sex: str) -> str:
    return FEMALE if sex == MALE else MALE


def _surname(person: PersonPlan) -> str:
    for compound in ("欧阳", "司徒"):
        if person.name.startswith(compound):
            return compound
    return person.name[0]


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _cohort(birth: date) -> str:
    if birth.year < 1965:
        return "old"
    return "mid" if birth.year < 1995 else "young"


def _date_between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randint(0, max(0, (high - low).days)))


def _between(rng: random.Random, low: float | None, high: float | None) -> float | None:
    if low is None or high is None:
        return None
    return round(rng.uniform(low, high), 6)


def _room_address(building: BuildingPlan, house: HousePlan) -> str:
    if building.units > 1:
        return f"{building.address}{house.unit}单元{house.number}房"
    return f"{building.address}{house.number}房"


# The loader -----------------------------------------------------------------------------------


@dataclass
class SeedSummary:
    grids: int = 0
    buildings: int = 0
    houses: int = 0
    households: int = 0
    persons: int = 0

    def add(self, other: SeedSummary) -> None:
        for name in ("grids", "buildings", "houses", "households", "persons"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def demo_grids() -> list[Area]:
    """The grids of the demo district, in code order."""
    district = Area.objects.get(code=DISTRICT_CODE)
    return list(
        Area.objects.filter(level=Area.Level.GRID, path__startswith=district.path)
        .select_related("parent")
        .order_by("code")
    )


def seed_population(
    *,
    persons: int | None = None,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: TextIO | None = None,
) -> SeedSummary:
    """Fill the demo grids with people, topping each grid up to its target.

    Without `persons`: 200 households in each grid of 黄埔花园社区 (the demo logins' community),
    20 in every other grid. With `persons=N`: N living persons in the demo grids in all, spread
    evenly. A grid that already holds its target is left alone, so seeding twice adds nothing.
    `progress` is the stream for a progress bar (shown when it is a terminal).

    Each grid is one transaction; a large load on PostgreSQL (BULK_LOAD_PERSONS or more) is one
    transaction in all, which builds the registry's indexes and checks its keys once at its end.
    """
    grids = demo_grids()
    plan: list[tuple[Area, int]] = []
    if persons is None:
        counts = _counts(Household.objects.filter(grid__in=grids))
        for grid in grids:
            home = grid.parent.name == HOME_COMMUNITY
            target = HOME_GRID_HOUSEHOLDS if home else OTHER_GRID_HOUSEHOLDS
            plan.append((grid, target - counts.get(grid.pk, 0)))
    else:
        counts = _counts(Person.objects.filter(grid__in=grids, status=Person.Status.LIVING))
        plan = list(zip(grids, _spread(persons, [counts.get(g.pk, 0) for g in grids]), strict=True))
    plan = [(grid, n) for grid, n in plan if n > 0]
    summary = SeedSummary()
    if not plan:
        return summary
    # Read before a large load drops the indexes these queries use.
    infos = {grid.pk: GridInfo.of(grid) for grid, _n in plan}
    generator = PopulationGenerator(seed, today=today, taken_ids=_taken_id_numbers())
    care_tags = dict(CareTag.objects.values_list("code", "pk"))
    unit = "households" if persons is None else "persons"
    large = (
        connection.vendor == "postgresql"
        and persons is not None
        and sum(n for _grid, n in plan) >= BULK_LOAD_PERSONS
    )
    writer = bulk_writer(tables_locked=large)
    with (
        transaction.atomic() if large else nullcontext(),
        _indexes_and_keys_built_at_the_end(REGISTRY_MODELS) if large else nullcontext(),
        tqdm(
            total=sum(n for _grid, n in plan),
            unit=" " + unit,
            file=progress,
            # No stream: no bar. A stream: a bar if it is a terminal (tqdm's None), so logs and
            # captured output stay clean.
            disable=True if progress is None else None,
            desc="registry",
            smoothing=0.05,
        ) as bar,
    ):
        size = "households" if persons is None else "persons"

        def plan_one(item):
            grid, wanted = item
            return generator.plan_grid(infos[grid.pk], **{size: wanted})

        for (grid, _wanted), grid_plan in _planned_ahead(plan_one, plan):
            written = write_grid(grid, grid_plan, care_tags=care_tags, writer=writer)
            summary.add(written)
            bar.update(written.households if persons is None else written.persons)
    if connection.vendor == "postgresql":
        # A large load leaves the planner's statistics behind until autovacuum catches up.
        with connection.cursor() as cursor:
            # The areas too: a plan that thinks a path prefix matches one grid loops over it.
            for model in (Area, *REGISTRY_MODELS):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return summary


@contextmanager
def _indexes_and_keys_built_at_the_end(models):
    """Drop the secondary indexes, unique constraints and foreign keys of these models' tables
    now and build them again on leaving, inside the caller's transaction.

    Inserting a million rows one index entry and one deferred foreign-key probe at a time is
    most of a large load's time (the keyed ID digest alone has two indexes, in random order).
    Building an index from all rows at once is a sort, and adding a foreign key back checks
    every row in one join: PostgreSQL's "Populating a Database" advice. DDL is transactional, so
    a failure (a duplicate, a dangling key) rolls everything back and the schema is as it was.
    The tables stay locked until the load commits. Foreign keys to the user table stay, so
    logins are not blocked meanwhile.
    """
    tables = [model._meta.db_table for model in models]
    user_table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        # Taken by the DDL below anyway; said outright because the loader's id blocks
        # (_CopyWriter.reserve) count on nobody else inserting meanwhile.
        cursor.execute(
            f"LOCK TABLE {', '.join(map(connection.ops.quote_name, tables))}"
            " IN ACCESS EXCLUSIVE MODE"
        )
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND ("
            "  contype = 'u' OR (contype = 'f' AND confrelid <> %s::regclass))"
            " ORDER BY contype DESC, conrelid::regclass::text, conname",
            [tables, user_table],
        )
        constraints = cursor.fetchall()  # unique ones first: foreign keys may need them
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition, _kind in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # The foreign keys left in place (to users) have checks queued; a table with queued
        # checks cannot be altered, so run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition, _kind in constraints:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )


def _planned_ahead(plan_one, items):
    """(item, plan_one(item)) in order, planning the next item while the caller writes this
    one: PostgreSQL works through a COPY while the planner (pure Python, no database) goes on.
    One thread plans them all in order, so the plans are the same as without it."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="population") as planner:
        previous = None
        for item in items:
            following = (item, planner.submit(plan_one, item))
            if previous is not None:
                yield previous[0], previous[1].result()
            previous = following
        if previous is not None:
            yield previous[0], previous[1].result()


def _spread(total: int, counts: list[int]) -> list[int]:
    """How many persons to add to each grid so that they hold `total` in all, as evenly as the
    grids' present counts allow (none is taken away)."""
    if not counts:
        return []
    share, extra = divmod(total, len(counts))
    deficits = [max(0, share + (i < extra) - n) for i, n in enumerate(counts)]
    needed, short = total - sum(counts), sum(deficits)
    if needed <= 0:
        return [0] * len(counts)
    # Grids above their share leave the others a little less to fill: scale the deficits down,
    # giving the rounding remainders to the largest fractions.
    exact = [d * needed / short for d in deficits]
    adds = [math.floor(x) for x in exact]
    by_fraction = sorted(range(len(counts)), key=lambda i: adds[i] - exact[i])
    for i in by_fraction[: needed - sum(adds)]:
        adds[i] += 1
    return adds


def _counts(queryset) -> dict[int, int]:
    return dict(queryset.values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n"))


def _taken_id_numbers() -> Iterator[str]:
    return (
        Person.objects.exclude(id_number="")
        .values_list("id_number", flat=True)
        .iterator(chunk_size=50_000)
    )


@transaction.atomic
def write_grid(grid: Area, plan: GridPlan, *, care_tags=None, writer=None) -> SeedSummary:
    """Write one grid's plan as the registry services would, in one transaction."""
    if care_tags is None:
        care_tags = dict(CareTag.objects.values_list("code", "pk"))
    writer = writer or bulk_writer()
    now = timezone.now()
    buildings = plan.buildings
    houses = [(b, h) for b in buildings for h in b.houses]
    households = list(plan.households())
    people = [(household, p) for _b, _h, household in households for p in household.members]
    building_ids = writer.reserve(Building, len(buildings))
    house_ids = writer.reserve(House, len(houses))
    household_ids = writer.reserve(Household, len(households))
    person_ids = writer.reserve(Person, len(people))

    building_pk = {id(b): pk for b, pk in zip(buildings, building_ids, strict=True)}
    house_pk = {id(h): pk for (_b, h), pk in zip(houses, house_ids, strict=True)}
    household_pk = {id(hh): pk for (_b, _h, hh), pk in zip(households, household_ids, strict=True)}
    person_pk = {id(p): pk for (_hh, p), pk in zip(people, person_ids, strict=True)}
    house_of = {id(hh): h for _b, h, hh in households}
    grid_id = grid.pk

    writer.insert(
        Building,
        ("id", "grid_id", "number", "name", "address", "floors", "units", "lng", "lat",
         "created_at", "updated_at"),
        (
            (building_pk[id(b)], grid_id, b.number, b.name, b.address, b.floors, b.units,
             b.lng, b.lat, now, now)
            for b in buildings
        ),
    )  # fmt: skip
    writer.insert(
        House,
        ("id", "building_id", "grid_id", "unit", "floor", "number", "floor_area", "use",
         "owner_name", "owner_phone", "created_at", "updated_at"),
        (
            (house_pk[id(h)], building_pk[id(b)], grid_id, h.unit, h.floor, h.number,
             h.floor_area, h.use, h.owner_name, h.owner_phone, now, now)
            for b, h in houses
        ),
    )  # fmt: skip
    writer.insert(
        Household,
        ("id", "number", "kind", "registered_address", "house_id", "grid_id", "head_id",
         "created_at", "updated_at"),
        (
            (household_pk[id(hh)], hh.number, hh.kind, hh.registered_address,
             house_pk[id(h)], grid_id, _head_pk(hh, person_pk), now, now)
            for _b, h, hh in households
        ),
    )  # fmt: skip
    digest = registry.id_digest
    living = Person.Status.LIVING.value
    writer.insert(
        Person,
        ("id", "id_type", "id_number", "id_digest", "name", "former_name", "sex", "birth_date",
         "ethnicity", "native_place", "marital_status", "political_status", "education",
         "religion", "occupation", "employer", "phone", "other_phone", "population_type",
         "registered_address", "current_address", "is_separated", "status", "grid_id",
         "house_id", "household_id", "relation_to_head", "created_at", "updated_at"),
        (
            (person_pk[id(p)], p.id_type, p.id_number, digest(p.id_number), p.name,
             p.former_name, p.sex, p.birth_date, p.ethnicity, p.native_place,
             p.marital_status, p.political_status, p.education, p.religion, p.occupation,
             p.employer, p.phone, p.other_phone, p.population_type, p.registered_address,
             p.current_address, p.is_separated, living, grid_id,
             house_pk[id(house_of[id(hh)])], household_pk[id(hh)], p.relation, now, now)
            for hh, p in people
        ),
    )  # fmt: skip
    writer.insert(
        Person.care_tags.through,
        ("person_id", "caretag_id"),
        ((person_pk[id(p)], care_tags[tag]) for _hh, p in people for tag in p.care_tags),
    )
    writer.insert(
        Residence,
        ("person_id", "house_id", "started_on"),
        ((person_pk[id(p)], house_pk[id(house_of[id(hh)])], p.since) for hh, p in people),
    )
    writer.insert(
        Membership,
        ("person_id", "household_id", "relation", "started_on"),
        ((person_pk[id(p)], household_pk[id(hh)], p.relation, p.since) for hh, p in people),
    )
    move_in, birth = LifeEvent.Kind.MOVE_IN.value, LifeEvent.Kind.BIRTH.value
    writer.insert(
        LifeEvent,
        ("person_id", "kind", "occurred_on", "household_id", "house_id", "note", "recorded_at"),
        (
            (person_pk[id(p)], birth if p.born_here else move_in, p.since, household_pk[id(hh)],
             house_pk[id(house_of[id(hh)])], "", now)
            for hh, p in people
        ),
    )  # fmt: skip
    if people:
        registry.audit(
            None,
            AuditEntry.Action.IMPORT,
            model="Person",
            detail=f"demo population: {len(people)} persons in {len(households)} households, "
            f"grid {grid.code}",
        )
    return SeedSummary(
        grids=1,
        buildings=len(buildings),
        houses=len(houses),
        households=len(households),
        persons=len(people),
    )


def _head_pk(household: HouseholdPlan, person_pk: dict[int, int]) -> int | None:
    for member in household.members:
        if member.relation == HEAD:
            return person_pk[id(member)]
    return None


def bulk_writer(*, tables_locked: bool = False):
    """The bulk writer of this database: `reserve(model, n)` takes n ids from a table's own
    sequence, `insert(model, columns, rows)` writes rows in one statement (COPY on PostgreSQL,
    executemany elsewhere). grid/imports.py writes each chunk of a file with it."""
    if connection.vendor == "postgresql":
        return _CopyWriter(tables_locked=tables_locked)
    return _ExecuteManyWriter()


class _CopyWriter:
    """PostgreSQL: ids from the table's own sequence, rows through binary COPY.

    It writes on the connection of the thread that made it, from any thread (one at a time),
    so a caller can have COPY run while it goes on with other work: the thread waiting on the
    server releases the GIL. reserve() and describe() query through Django and stay in the
    thread that made it; insert() from another thread needs its tables described first.
    """

    def __init__(self, *, tables_locked: bool = False):
        self.tables_locked = tables_locked
        self.db = connections[DEFAULT_DB_ALIAS]  # this thread's; Django's are per thread
        self.types: dict[str, dict[str, str]] = {}

    def reserve(self, model, count: int) -> list[int]:
        if not count:
            return []
        with self.db.cursor() as cursor:
            if self.tables_locked:
                # Nobody else can insert into a table we hold exclusively, so nobody else takes
                # a number from its sequence between these two calls: one call for the block.
                cursor.execute(
                    "SELECT setval(s, nextval(s) + %s - 1)"
                    " FROM pg_get_serial_sequence(%s, 'id') AS s",
                    [count, model._meta.db_table],
                )
                last = cursor.fetchone()[0]
                return list(range(last - count + 1, last + 1))
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id')))"
                " FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return cursor.fetchone()[0]  # one array, not a row per id

    def describe(self, *tables) -> None:
        """Read the column types of these tables (models, or table names), in one query."""
        names = [table._meta.db_table if hasattr(table, "_meta") else table for table in tables]
        with self.db.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, a.attname, format_type(a.atttypid, NULL)"
                " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                " WHERE a.attrelid = ANY(%s::regclass[]) AND a.attnum > 0"
                " AND NOT a.attisdropped",
                [names],
            )
            for table, column, kind in cursor.fetchall():
                self.types.setdefault(table, {})[column] = kind

    def insert(self, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        opts = model._meta
        column = {f.attname: f.column for f in opts.concrete_fields}
        # COPY takes values as they are stored: personal fields are encrypted here, in Python
        # (microseconds a value), as the field would on save.
        sealed = {
            i: field.aad
            for field in crypto.encrypted_fields(model)
            for i, attname in enumerate(columns)
            if attname == field.attname
        }
        if sealed:
            ring = crypto.keyring()
            rows = (
                tuple(
                    crypto.encrypt(value, sealed[i], ring=ring) if i in sealed else value
                    for i, value in enumerate(row)
                )
                for row in rows
            )
        self.insert_rows(opts.db_table, [column[attname] for attname in columns], rows)

    def insert_rows(self, table: str, names: list[str], rows: Iterable[tuple]) -> None:
        """Rows of plain values into a table by its column names (a temporary table too)."""
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        if table not in self.types:
            self.describe(table)
        types = [self.types[table][name] for name in names]
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return  # no statement for nothing
        self.db.ensure_connection()
        with (
            self.db.wrap_database_errors,  # Django's IntegrityError for a unique index
            self.db.connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            # Binary rows spare the server parsing text into dates, numbers and timestamps.
            copy.set_types(types)
            copy.write_row(first)
            for row in rows:
                copy.write_row(row)


class _ExecuteManyWriter:
    """Other databases (SQLite): ids counted on from the table's highest, rows through one
    executemany per call, their values prepared by the model's fields as bulk_create would.
    Good for the laptop-sized demo; PostgreSQL is the one for millions."""

    def describe(self, *tables) -> None:
        """Nothing to read ahead: executemany needs no column types."""

    def reserve(self, model, count: int) -> list[int]:
        if not count:
            return []
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            highest = cursor.fetchone()[0]
            if connection.vendor == "sqlite":
                # AUTOINCREMENT never reuses the id of a deleted row; neither may we.
                cursor.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s",
                    [model._meta.db_table],
                )
                highest = max(highest, cursor.fetchone()[0])
        return list(range(highest + 1, highest + 1 + count))

    def insert(self, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        opts = model._meta
        fields = {f.attname: f for f in opts.concrete_fields}
        prepare = [fields[attname].get_db_prep_save for attname in columns]
        self.insert_rows(
            opts.db_table,
            [fields[attname].column for attname in columns],
            (
                [to_db(value, connection) for to_db, value in zip(prepare, row, strict=True)]
                for row in rows
            ),
        )

    def insert_rows(self, table: str, names: list[str], rows: Iterable) -> None:
        """Rows of plain values into a table by its column names (a temporary table too)."""
        quote = connection.ops.quote_name
        statement = (
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))})"
            f" VALUES ({', '.join(['%s'] * len(names))})"
        )
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        with connection.cursor() as cursor:
            cursor.executemany(statement, itertools.chain([first], rows))
