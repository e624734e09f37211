"""Import of the registry (以房管人) from CSV or XLSX files: buildings, houses, households, persons.

The file
    A CSV file (UTF-8, with or without BOM, or GB18030 — what Excel on Chinese Windows saves) or
    an .xlsx workbook. The first non-empty row of a table holds the column headers; every
    header may be written in Chinese or English (`COLUMNS` lists what is accepted; case, spaces,
    a "*" marking a required column and a remark in brackets, "证件号码（必填）", are ignored).
    The columns 序号/No. and 备注/Remark are ignored; any other unknown column is refused, so a
    misspelt header is caught instead of silently dropping its data.

    A table holds one kind of row, recognised from its columns (or named by the uploader):
    a 姓名/name column makes it a persons table, else 户号/household a households table, else
    房号/room a houses table, else 楼栋/building a buildings table. A workbook may hold one
    table per sheet; tables are imported buildings → houses → households → persons whatever
    the sheet order, so one workbook can describe a whole neighbourhood.

The layouts (required columns marked *)
    buildings   网格 grid · 楼栋* building · 楼栋名称 building_name · 地址* address ·
                楼层数 floors · 单元数 units · 经度 lng · 纬度 lat
    houses      网格 grid · 楼栋* building · 单元 unit (default 1) · 楼层* floor · 房号* room ·
                面积 floor_area · 用途 use (自住/出租/空置/经营/其他) · 产权人 owner ·
                产权人电话 owner_phone
    households  网格 grid · 户号* household · 户类型 household_kind (家庭户/集体户) ·
                户籍地址 registered_address · 楼栋 building · 单元 unit · 房号 room
    persons     网格 grid · 楼栋 building · 单元 unit · 房号 room · 楼层 floor · 户号 household ·
                与户主关系 relation · 姓名* name · 曾用名 former_name · 证件类型 id_type ·
                证件号码 id_number · 性别 sex · 出生日期 birth_date · 民族 ethnicity ·
                籍贯 native_place · 婚姻状况 marital_status · 政治面貌 political_status ·
                学历 education · 宗教信仰 religion · 职业 occupation · 工作单位 employer ·
                联系电话 phone · 其他电话 other_phone · 人口类型 population_type ·
                户籍地址 registered_address · 现住址 current_address · 人户分离 is_separated ·
                关爱标签 care_tags · 入住日期 moved_in_on

    网格 is the grid's code (or its name); it may be left out when the import targets one grid,
    or when the building number is unique in the targeted area. Coded columns take the national
    code ("01") or its Chinese or English name ("汉族", "户主", "男"); dates are 2024-05-01,
    2024/5/1, 20240501 or 2024年5月1日; care tags are separated by 、 , or ;.

    A persons row lives in a room (楼栋 + 单元 + 房号) or a household (户号), or both. A room
    missing from the registry is created when the row gives its 楼层; a household number not
    yet registered is created (a family household in the row's room) by the first row naming
    it. Birth date and sex come from a resident ID number; typed as well, they must agree.
    An import only adds: a person whose ID number is already registered as living here is a
    bad row, never an update.

What happens
    Every row goes through grid/registry.py — the same rules, history and audit as the pages
    and the API — inside one transaction, each row in a savepoint of its own. A bad row is
    rolled back to its savepoint and reported with every problem found: line (the row number
    in the sheet, or the line in the CSV file), field, column header and message — never the
    value, which may be personal data. A value longer than its column, a number out of its
    column's range or a location off the globe is such a problem too. Then, by mode:
      dry_run          everything is rolled back: a report, nothing written;
      all_or_nothing   (default) kept only when no row was bad, otherwise rolled back;
      keep_good_rows   the good rows are kept, the bad ones reported.
    One IMPORT audit entry says who imported how many rows where (counts, never values).
"""

import csv
import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import PurePath
from uuid import uuid4

from django.core.cache import cache as shared_cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grid import codes, idnumbers, policies, registry
from grid.jurisdiction import restrict, scope_of
from grid.models import (
    Area,
    AuditEntry,
    Building,
    CareTag,
    House,
    Household,
    ImportJob,
    Person,
)

logger = logging.getLogger(__name__)

Kind = ImportJob.Kind
Mode = ImportJob.Mode
KIND_ORDER = (Kind.BUILDINGS, Kind.HOUSES, Kind.HOUSEHOLDS, Kind.PERSONS)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DIGITS = 9  # a whole number in a cell fits a 32-bit integer column


@dataclass(frozen=True)
class Column:
    """One column of a layout: its key and the headers accepted for it (Chinese first)."""

    key: str
    headers: tuple[str, ...]


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("grid", ("网格", "网格编码", "网格代码", "所属网格")),
        Column("building", ("楼栋", "楼栋号", "楼号", "楼栋编号")),
        Column("building_name", ("楼栋名称", "楼名")),
        Column("address", ("地址", "楼栋地址", "详细地址")),
        Column("floors", ("楼层数", "层数", "总层数")),
        Column("units", ("单元数",)),
        Column("lng", ("经度", "longitude")),
        Column("lat", ("纬度", "latitude")),
        Column("unit", ("单元", "单元号")),
        Column("floor", ("楼层", "所在楼层")),
        Column("room", ("房号", "房间号", "门牌号", "室")),
        Column("floor_area", ("面积", "建筑面积", "面积（㎡）")),
        Column("use", ("用途", "房屋用途")),
        Column("owner", ("产权人", "房主", "业主")),
        Column("owner_phone", ("产权人电话", "房主电话", "业主电话")),
        Column("household", ("户号", "户编号")),
        Column("household_kind", ("户类型", "户别", "户口类型")),
        Column("registered_address", ("户籍地址", "户籍地", "户籍地详址")),
        Column("relation", ("与户主关系", "关系")),
        Column("name", ("姓名",)),
        Column("former_name", ("曾用名",)),
        Column("id_type", ("证件类型", "证件种类")),
        Column("id_number", ("证件号码", "身份证号", "身份证号码", "公民身份号码", "证件号")),
        Column("sex", ("性别",)),
        Column("birth_date", ("出生日期", "出生年月日")),
        Column("ethnicity", ("民族",)),
        Column("native_place", ("籍贯",)),
        Column("marital_status", ("婚姻状况",)),
        Column("political_status", ("政治面貌",)),
        Column("education", ("学历", "文化程度")),
        Column("religion", ("宗教信仰", "宗教")),
        Column("occupation", ("职业",)),
        Column("employer", ("工作单位", "服务处所")),
        Column("phone", ("联系电话", "电话", "手机", "手机号", "手机号码")),
        Column("other_phone", ("其他电话", "备用电话")),
        Column("population_type", ("人口类型", "人员类型")),
        Column("current_address", ("现住址", "现居住地址", "现住地址")),
        Column("is_separated", ("人户分离",)),
        Column("care_tags", ("关爱标签", "关爱对象", "特殊人群")),
        Column("moved_in_on", ("入住日期", "迁入日期")),
    )
}

LAYOUTS: dict[str, tuple[str, ...]] = {
    Kind.BUILDINGS: (
        "grid", "building", "building_name", "address", "floors", "units", "lng", "lat",
    ),
    Kind.HOUSES: (
        "grid", "building", "unit", "floor", "room", "floor_area", "use", "owner", "owner_phone",
    ),
    Kind.HOUSEHOLDS: (
        "grid", "household", "household_kind", "registered_address", "building", "unit", "room",
    ),
    Kind.PERSONS: (
        "grid", "building", "unit", "room", "floor", "household", "relation", "name",
        "former_name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "native_place",
        "marital_status", "political_status", "education", "religion", "occupation", "employer",
        "phone", "other_phone", "population_type", "registered_address", "current_address",
        "is_separated", "care_tags", "moved_in_on",
    ),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    Kind.BUILDINGS: ("building", "address"),
    Kind.HOUSES: ("building", "floor", "room"),
    Kind.HOUSEHOLDS: ("household",),
    Kind.PERSONS: ("name",),
}
IGNORED_HEADERS = {"序号", "no", "no.", "#", "备注", "remark", "remarks", "note", "notes"}


def _header_key(header: object) -> str:
    text = str(header or "").translate(idnumbers._FULL_WIDTH)
    text = re.sub(r"[(（].*?[)）]", "", text)
    return re.sub(r"[\s*:：]", "", text).lower()


_HEADERS = {
    _header_key(header): column.key
    for column in COLUMNS.values()
    for header in (column.key, *column.headers)
}


# Errors


@dataclass(frozen=True)
class RowError:
    """One problem of one row: where (sheet, line, column) and what; never the value."""

    line: int
    field: str
    message: str
    column: str = ""
    sheet: str = ""

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "field": self.field,
            "column": self.column,
            "message": self.message,
            "sheet": self.sheet,
        }


class ImportFileError(Exception):
    """The file as a whole cannot be imported (encoding, format, headers); nothing was read."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} file error(s)")
        self.errors = errors


# Reading


@dataclass
class Row:
    line: int
    values: dict[str, object]


@dataclass
class Table:
    kind: str
    sheet: str
    columns: dict[str, str]  # key → the header as written in the file
    header_line: int
    rows: list[Row] = field(default_factory=list)


def read_tables(content: bytes, *, kind: str = Kind.AUTO) -> list[Table]:
    """The tables of a CSV or XLSX file, in import order. Raises ImportFileError."""
    if content.startswith(b"PK\x03\x04"):
        raw = _xlsx_sheets(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            [RowError(0, "file", _("This is an old .xls workbook; save it as .xlsx or CSV."))]
        )
    else:
        raw = [("", _csv_rows(content))]
    tables, errors = [], []
    for sheet, rows in raw:
        table = _table(sheet, rows, kind, errors)
        if table is not None and table.rows:
            tables.append(table)
    if errors:
        raise ImportFileError(errors)
    if not tables:
        raise ImportFileError([RowError(0, "file", _("The file has no rows to import."))])
    return sorted(tables, key=lambda t: KIND_ORDER.index(t.kind))


def _csv_rows(content: bytes) -> Iterable[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(
            [
                RowError(
                    0,
                    "file",
                    _(
                        "The file is neither UTF-8 nor GB18030 text; "
                        "save it as CSV (UTF-8) or as .xlsx."
                    ),
                )
            ]
        )
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error:
        raise ImportFileError(
            [RowError(start, "file", _("This line is not valid CSV (check the quotes)."))]
        ) from None


def _xlsx_sheets(content: bytes) -> list[tuple[str, list[tuple[int, list]]]]:
    import openpyxl  # only imports of workbooks pay for loading it

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise ImportFileError(
            [RowError(0, "file", _("The workbook cannot be read; save it again as .xlsx."))]
        ) from None
    try:
        return [
            (
                sheet.title,
                [
                    (number, list(values))
                    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                ],
            )
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(sheet: str, rows: Iterable, kind: str, errors: list[RowError]) -> Table | None:
    rows = iter(rows)
    header_line, header = next(
        ((line, cells) for line, cells in rows if not all(_blank(cell) for cell in cells)),
        (0, None),
    )
    if header is None:
        return None  # an empty sheet
    positions: dict[int, str] = {}
    columns: dict[str, str] = {}
    header_errors = []
    for position, cell in enumerate(header):
        if _blank(cell):
            continue
        text = str(cell).strip()
        key = _HEADERS.get(_header_key(text))
        if key is None:
            if _header_key(text) not in IGNORED_HEADERS:
                header_errors.append((text, _("Unknown column; rename it or remove it.")))
            continue
        if key in columns:
            header_errors.append((text, _("This column appears twice.")))
            continue
        positions[position], columns[key] = key, text
    table_kind = kind if kind != Kind.AUTO else _recognise(columns)
    if table_kind is None:
        errors.append(
            RowError(
                header_line,
                "file",
                _(
                    "Cannot tell what this table holds: it needs a 姓名 (name), 户号 "
                    "(household), 房号 (room) or 楼栋 (building) column."
                ),
                sheet=sheet,
            )
        )
        return None
    layout = LAYOUTS[table_kind]
    for key, text in columns.items():
        if key not in layout:
            header_errors.append(
                (
                    text,
                    _("This column is not used in a table of %(kind)s.") % _kind_label(table_kind),
                )
            )
    for key in REQUIRED[table_kind]:
        if key not in columns:
            errors.append(
                RowError(
                    header_line,
                    key,
                    _("A table of %(kind)s needs the column %(column)s.")
                    % {**_kind_label(table_kind), "column": COLUMNS[key].headers[0]},
                    sheet=sheet,
                )
            )
    errors.extend(
        RowError(header_line, "", message, column=text, sheet=sheet)
        for text, message in header_errors
    )
    table = Table(kind=table_kind, sheet=sheet, columns=columns, header_line=header_line)
    for line, cells in rows:
        values = {key: cells[pos] for pos, key in positions.items() if pos < len(cells)}
        if any(not _blank(value) for value in values.values()):
            table.rows.append(Row(line=line, values=values))
    return table


def _recognise(columns: dict[str, str]) -> str | None:
    for key, kind in (
        ("name", Kind.PERSONS),
        ("household", Kind.HOUSEHOLDS),
        ("room", Kind.HOUSES),
        ("building", Kind.BUILDINGS),
    ):
        if key in columns:
            return kind
    return None


def _kind_label(kind: str) -> dict[str, str]:
    return {"kind": str(Kind(kind).label).lower()}


# Values: parsing one row's cells, collecting every problem


_SUFFIXES = re.compile(r"(单元|层|楼|栋|幢|号楼|号)$")
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SPLIT_TAGS = re.compile(r"[、,，;；/\s]+")
_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}


def _alias(text: object) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


# Names people write beside the standards' own (男 for 男性, 本科 for 大学本科毕业 …).
_CODE_ALIASES = {
    "sex": {"男": "1", "女": "2", "未知": "0", "m": "1", "f": "2"},
    "relation_to_head": {"本人": "01", "丈夫": "11", "妻子": "12", "儿子": "20", "女儿": "30"},
    "religion": {"无": "00"},
    "political_status": {"党员": "01", "预备党员": "02", "团员": "03"},
    "education": {
        "研究生": "10", "博士": "11", "硕士": "14", "本科": "21", "大专": "31", "专科": "31",
        "中专": "41", "职高": "44", "技校": "47", "高中": "61", "初中": "71", "小学": "81",
    },
}  # fmt: skip
_CHOICE_ALIASES = {
    "use": {"自住": "self_occupied", "出租": "rented", "空置": "vacant", "经营": "business"},
    "household_kind": {"家庭户": "family", "集体户": "collective", "家庭": "family"},
    "population_type": {
        "户籍": "registered", "户籍人口": "registered", "流动": "floating",
        "流动人口": "floating", "留守": "left_behind", "留守人员": "left_behind",
        "境外": "foreign", "境外人员": "foreign",
    },
    "id_type": {
        "身份证": "resident", "居民身份证": "resident", "护照": "passport",
        "港澳居民来往内地通行证": "hk_macao", "回乡证": "hk_macao",
        "台湾居民来往大陆通行证": "taiwan", "台胞证": "taiwan",
        "外国人永久居留身份证": "foreign_permanent", "永居证": "foreign_permanent",
        "其他": "other",
    },
}  # fmt: skip
_CHOICES = {
    "use": House.Use.choices,
    "household_kind": Household.Kind.choices,
    "population_type": Person.PopulationType.choices,
    "id_type": idnumbers.IdType.choices,
}


@cache
def _code_lookup(table: str) -> dict[str, str]:
    lookup = {}
    for entry in reversed(codes.TABLES[table]):  # the first entry wins a shared name
        for name in (entry.code, entry.zh, entry.en):
            lookup[_alias(name)] = entry.code
        if table == "ethnicity" and entry.zh.endswith("族"):
            lookup[_alias(entry.zh[:-1])] = entry.code
    lookup.update(_CODE_ALIASES.get(table, {}))
    return lookup


@cache
def _choice_lookup(key: str) -> dict[str, str]:
    lookup = {}
    for value, label in _CHOICES[key]:
        lookup[_alias(value)] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[_alias(str(label))] = value
    lookup.update({_alias(k): v for k, v in _CHOICE_ALIASES[key].items()})
    return lookup


class Cells:
    """The values of one row, read field by field; each problem is appended to `errors`."""

    def __init__(self, row: Row):
        self.values = row.values
        self.errors: list[tuple[str, str]] = []  # (column key, message)

    def has(self, key: str) -> bool:
        return not _blank(self.values.get(key))

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, message))

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.values.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime):
            value = value.date()
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(key, _("This field is required."))
        return text

    def label(self, key: str) -> str:
        """A number or name such as 3, "3栋" or "3单元", without its counting word."""
        return _SUFFIXES.sub("", self.text(key)).strip()

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.label(key)
        if not value:
            if required:
                self.error(key, _("This field is required."))
            return None
        if not re.fullmatch(r"-?\d+", value):
            self.error(key, _("Enter a whole number."))
            return None
        if len(value.lstrip("-")) > MAX_DIGITS:
            # Past any column's range: even a lookup by it would fail in the database.
            self.error(key, _("This number is too large."))
            return None
        return int(value)

    def decimal(self, key: str) -> Decimal | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            self.error(key, _("Enter a number."))
            return None

    def number(self, key: str) -> float | None:
        value = self.decimal(key)
        return None if value is None else float(value)

    def date(self, key: str) -> date | None:
        value = self.values.get(key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(key)
        if not text:
            return None
        match = _DATE_TEXT.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        try:
            if match is None:
                raise ValueError
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            self.error(key, _("Enter a valid date."))
            return None

    def boolean(self, key: str) -> bool:
        value = self.values.get(key)
        if isinstance(value, bool):
            return value
        text = _alias(self.text(key))
        if not text or text in _FALSE:
            return False
        if text in _TRUE:
            return True
        self.error(key, _("Enter 是 or 否 (yes or no)."))
        return False

    def code(self, key: str, table: str) -> str:
        text = self.text(key)
        if not text:
            return ""
        lookup = _code_lookup(table)
        width = len(codes.TABLES[table][0].code)
        if text.isdigit() and len(text) < width:
            text = text.zfill(width)  # a spreadsheet turns "01" into 1
        found = lookup.get(_alias(text))
        if found is None:
            self.error(
                key, _("“%(value)s” is neither a code nor a name in this table.") % {"value": text}
            )
            return ""
        return found

    def choice(self, key: str) -> str:
        text = self.text(key)
        if not text:
            return ""
        found = _choice_lookup(key).get(_alias(text))
        if found is None:
            names = "、".join(str(label) for _value, label in _CHOICES[key])
            self.error(
                key,
                _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": names},
            )
            return ""
        return found

    def id_number(self, key: str) -> str:
        if isinstance(self.values.get(key), float):
            self.error(
                key,
                _(
                    "The spreadsheet stored this ID number as a number and lost digits; "
                    "format the column as text and type it again."
                ),
            )
            return ""
        return idnumbers.normalize_id_number(self.text(key))


# Importing


@dataclass
class ImportReport:
    """What an import found and did. `created` counts the records the good rows create (or, when
    nothing was kept, would have created)."""

    mode: str
    total_rows: int = 0
    processed_rows: int = 0
    written_rows: int = 0
    created: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(e.sheet, e.line) for e in self.errors})

    @property
    def good_rows(self) -> int:
        return self.processed_rows - self.bad_rows

    @property
    def written(self) -> bool:
        return self.written_rows > 0

    def error_dicts(self) -> list[dict]:
        return [error.as_dict() for error in self.errors]

    def summary(self) -> str:
        """A line for the audit log and the command line: counts only."""
        created = ", ".join(
            f"{kind} {self.created[kind]}" for kind in KIND_ORDER if self.created[kind]
        )
        return (
            f"mode={self.mode} rows={self.total_rows} bad={self.bad_rows} "
            f"written={self.written_rows} created: {created or 'none'}"
        )


class _BadRow(Exception):
    """Leaves a row's savepoint, undoing whatever the row had written."""


# Model field names in the services' errors → the columns of each layout.
_FIELD_TO_COLUMN = {
    "building": {"number": "building", "name": "building_name"},
    "house": {"number": "room", "owner_name": "owner"},
    "household": {"number": "household", "kind": "household_kind", "house": "room"},
    "person": {"house": "room", "person": ""},
}


class Importer:
    """Imports the rows of one area's tables through grid/registry.py; see the module docstring.

    One instance per import. Lookups are plain queries, so a row sees what the rows before it
    wrote in the same transaction.
    """

    def __init__(self, *, area: Area, actor, mode: str, today: date | None = None):
        self.area, self.actor, self.today = area, actor, today or timezone.localdate()
        self.report = ImportReport(mode=mode)
        self._grids: dict[str, Area | None] = {}
        self._ids_seen: dict[str, tuple[str, int]] = {}
        self._where = ("", 0)  # (sheet, line) of the row being imported
        self._tags = {
            _alias(name): tag
            for tag in CareTag.objects.all()
            for name in (tag.code, tag.name, tag.name_en)
        }

    def run(
        self, tables: list[Table], *, progress: Callable[[int, int], None] | None = None
    ) -> ImportReport:
        """Import every row, then keep or roll back the writes as the mode says."""
        report = self.report
        report.total_rows = sum(len(t.rows) for t in tables)
        with transaction.atomic():
            for table in tables:
                for row in table.rows:
                    self._import_row(table, row)
                    report.processed_rows += 1
                    if progress is not None:
                        progress(report.processed_rows, report.total_rows)
            keep = report.good_rows > 0 and (
                report.mode == Mode.KEEP_GOOD_ROWS
                or (report.mode == Mode.ALL_OR_NOTHING and not report.errors)
            )
            if keep:
                report.written_rows = report.good_rows
            else:
                transaction.set_rollback(True)
        return report

    def _import_row(self, table: Table, row: Row) -> None:
        self._where = (table.sheet, row.line)
        cells = Cells(row)
        created = Counter()
        try:
            # A savepoint per row: a bad row leaves nothing behind, whatever it had written.
            with transaction.atomic():
                getattr(self, f"_{table.kind}")(cells, created)
                if cells.errors:
                    raise _BadRow
        except _BadRow:
            pass
        except IntegrityError:
            # A unique index refused the row: someone saved the same record meanwhile.
            cells.error("", _("This row clashes with a record saved meanwhile; import it again."))
        if cells.errors:
            self.report.errors.extend(
                RowError(row.line, key, message, table.columns.get(key, ""), table.sheet)
                for key, message in cells.errors
            )
        else:
            self.report.created.update(created)

    def _call(self, cells: Cells, what: str, service, **kwargs):
        """Call a registry service; its ValidationError becomes this row's problems."""
        try:
            return service(actor=self.actor, **kwargs)
        except ValidationError as exc:
            cells.errors.extend(_problems(exc, _FIELD_TO_COLUMN[what]))
            raise _BadRow from None

    # What a row refers to

    def _grid(self, cells: Cells, *, required: bool) -> Area | None:
        value = cells.text("grid")
        if not value:
            if self.area.level == Area.Level.GRID:
                return self.area
            if required:
                cells.error(
                    "grid",
                    _("Give the grid (网格) of this row: the import is for %(area)s, not one grid.")
                    % {"area": self.area.name},
                )
            return None
        if value not in self._grids:
            found = list(
                Area.objects.filter(
                    Q(code=value) | Q(name=value),
                    level=Area.Level.GRID,
                    path__startswith=self.area.path,
                )[:2]
            )
            self._grids[value] = found[0] if len(found) == 1 else None
        grid = self._grids[value]
        if grid is None:
            cells.error(
                "grid", _("%(area)s has no grid with this code or name.") % {"area": self.area.name}
            )
        return grid

    def _building(self, cells: Cells) -> Building | None:
        number = cells.text("building", required=True)
        grid = self._grid(cells, required=False)
        if not number or (cells.has("grid") and grid is None):
            return None
        buildings = Building.objects.filter(
            Q(grid=grid) if grid else Q(grid__path__startswith=self.area.path)
        )
        found = list(buildings.filter(number=number)[:2])
        if not found and cells.label("building") != number:
            found = list(buildings.filter(number=cells.label("building"))[:2])  # "3栋" for "3"
        if len(found) == 1:
            return found[0]
        if found:
            cells.error(
                "building",
                _("Several grids have a building %(number)s; give the grid (网格).")
                % {"number": number},
            )
        else:
            cells.error(
                "building",
                _("No building %(number)s in %(area)s.")
                % {"number": number, "area": (grid or self.area).name},
            )
        return None

    def _house(self, cells: Cells, created: Counter, *, may_add: bool) -> House | None:
        """The room a row names (building + unit + room); None when it names none. With
        `may_add`, a room missing from the registry is added when the row gives its floor."""
        if not cells.has("room"):
            if cells.has("building"):
                cells.error("room", _("Give the room (房号) in the building."))
            return None
        building = self._building(cells)
        unit = cells.integer("unit") or 1
        room = cells.text("room")
        floor = cells.integer("floor") if may_add else None
        if building is None:
            return None
        house = House.objects.filter(building=building, unit=unit, number=room).first()
        if house is not None:
            return house
        where = {"building": building.number, "room": room, "unit": unit}
        if floor is None:
            message = (
                _("Building %(building)s has no room %(room)s in unit %(unit)s; give its floor.")
                if may_add
                else _("Building %(building)s has no room %(room)s in unit %(unit)s.")
            )
            cells.error("room", message % where)
            return None
        if cells.errors:
            return None  # no room is added for a row that is bad anyway
        created["houses"] += 1
        return self._call(
            cells, "house", registry.create_house,
            building=building, unit=unit, floor=floor, number=room,
        )  # fmt: skip

    def _household(self, cells: Cells, house: House | None, created: Counter):
        """The household a persons row names: found in the area, or added by its first row."""
        number = cells.text("household")
        household = Household.objects.select_related("grid").filter(number=number).first()
        if household is None:
            if cells.errors:
                return None
            grid = None if house else self._grid(cells, required=True)
            if cells.errors:
                return None
            created["households"] += 1
            return self._call(
                cells, "household", registry.create_household,
                number=number, house=house, grid=grid,
            )  # fmt: skip
        if not household.grid.path.startswith(self.area.path):
            cells.error(
                "household",
                _("No household %(number)s in %(area)s.")
                % {"number": number, "area": self.area.name},
            )
            return None
        if house is not None and household.house_id not in (None, house.pk):
            cells.error(
                "room", _("Household %(number)s lives in another room.") % {"number": number}
            )
            return None
        return household

    # One method per kind of table: read and check the row, then write through the registry

    def _buildings(self, cells: Cells, created: Counter) -> None:
        grid = self._grid(cells, required=True)
        fields = {
            "number": cells.text("building", required=True),
            "name": cells.text("building_name"),
            "address": cells.text("address", required=True),
            "floors": cells.integer("floors"),
            "units": cells.integer("units"),
            "lng": cells.number("lng"),
            "lat": cells.number("lat"),
        }
        if cells.errors:
            return
        fields = {key: value for key, value in fields.items() if value is not None}
        self._call(cells, "building", registry.create_building, grid=grid, **fields)
        created["buildings"] += 1

    def _houses(self, cells: Cells, created: Counter) -> None:
        building = self._building(cells)
        fields = {
            "unit": cells.integer("unit") or 1,
            "floor": cells.integer("floor", required=True),
            "number": cells.text("room", required=True),
            "floor_area": cells.decimal("floor_area"),
            "use": cells.choice("use") or House.Use.SELF_OCCUPIED,
            "owner_name": cells.text("owner"),
            "owner_phone": cells.text("owner_phone"),
        }
        if cells.errors:
            return
        self._call(cells, "house", registry.create_house, building=building, **fields)
        created["houses"] += 1

    def _households(self, cells: Cells, created: Counter) -> None:
        number = cells.text("household", required=True)
        kind = cells.choice("household_kind") or Household.Kind.FAMILY
        address = cells.text("registered_address")
        house = self._house(cells, created, may_add=False)
        grid = None if house else self._grid(cells, required=True)
        if cells.errors:
            return
        self._call(
            cells, "household", registry.create_household,
            number=number, house=house, grid=grid, kind=kind, registered_address=address,
        )  # fmt: skip
        created["households"] += 1

    def _persons(self, cells: Cells, created: Counter) -> None:
        fields = self._person_fields(cells)
        relation = cells.code("relation", "relation_to_head")
        tags = self._care_tags(cells)
        on = cells.date("moved_in_on") or self.today
        self._check_person(cells, fields)
        if cells.has("household"):
            if not cells.has("relation"):
                cells.error("relation", _("Choose the relation to the head of household."))
        elif cells.has("relation"):
            cells.error("relation", _("A relation to the head needs a household (户号)."))
        elif not cells.has("room"):
            cells.error(
                "room", _("Give the room (房号) or the household (户号) the person lives in.")
            )
        house = self._house(cells, created, may_add=True)
        household = self._household(cells, house, created) if cells.has("household") else None
        if household is not None and relation == registry.HEAD and household.head_id:
            cells.error("relation", _("The household already has a head."))
        if cells.errors:
            return
        self._call(
            cells, "person", registry.register_person,
            house=house, household=household, relation=relation if household else "",
            on=on, care_tags=tags, **fields,
        )  # fmt: skip
        created["persons"] += 1

    def _person_fields(self, cells: Cells) -> dict:
        fields = {
            "id_type": cells.choice("id_type") or idnumbers.IdType.RESIDENT,
            "id_number": cells.id_number("id_number"),
            "name": cells.text("name"),
            "sex": cells.code("sex", "sex"),
            "birth_date": cells.date("birth_date"),
            "is_separated": cells.boolean("is_separated"),
            "population_type": cells.choice("population_type") or Person.PopulationType.REGISTERED,
        }
        for key in ("ethnicity", "marital_status", "political_status", "education", "religion"):
            fields[key] = cells.code(key, key)
        for key in (
            "former_name", "native_place", "occupation", "employer", "phone", "other_phone",
            "registered_address", "current_address",
        ):  # fmt: skip
            fields[key] = cells.text(key)
        return fields

    def _check_person(self, cells: Cells, fields: dict) -> None:
        """registry.clean_person's rules, plus an ID number given twice in the file and a sex or
        birth date that contradicts the ID number, all reported together."""
        unreadable = {key for key, _message in cells.errors}
        number = fields["id_number"]
        first = self._ids_seen.setdefault(f"{fields['id_type']}:{number}", self._where)
        duplicate = bool(number) and first != self._where
        given = {k: v for k, v in fields.items() if v or k not in ("sex", "birth_date")}
        try:
            cleaned = registry.clean_person(given, today=self.today)
        except ValidationError as exc:
            cleaned = None
            problems = _problems(exc, {})
            bad_number = "id_number" in unreadable or any(k == "id_number" for k, _m in problems)
            if bad_number and not fields["sex"]:
                # The sex comes from the ID number: once it is right, so is the sex.
                unreadable.add("sex")
            for key, message in problems:
                # A field the row could not read already has its message; a repeated ID
                # number gets the clearer one below.
                if key not in unreadable and not (duplicate and key == "id_number"):
                    cells.error(key, message)
        if duplicate:
            sheet, line = first
            cells.error(
                "id_number",
                _("This ID number is also on line %(line)s of sheet %(sheet)s.")
                % {"line": line, "sheet": sheet}
                if sheet
                else _("This ID number is also on line %(line)s.") % {"line": line},
            )
        if cleaned and number and fields["id_type"] == idnumbers.IdType.RESIDENT:
            if fields["sex"] and fields["sex"] != cleaned["sex"]:
                cells.error("sex", _("The sex does not match the ID number."))
            if fields["birth_date"] and fields["birth_date"] != cleaned["birth_date"]:
                cells.error("birth_date", _("The birth date does not match the ID number."))

    def _care_tags(self, cells: Cells) -> list[CareTag]:
        tags = []
        for name in _SPLIT_TAGS.split(cells.text("care_tags")):
            if not name:
                continue
            tag = self._tags.get(_alias(name))
            if tag is None:
                cells.error("care_tags", _("Unknown care tag: %(name)s.") % {"name": name})
            elif tag not in tags:
                tags.append(tag)
        return tags


def _problems(exc: ValidationError, mapping: dict[str, str]) -> list[tuple[str, str]]:
    if not hasattr(exc, "error_dict"):
        return [("", message) for message in exc.messages]
    return [
        (mapping.get(key, "" if key == NON_FIELD_ERRORS else key), message)
        for key, messages in exc.message_dict.items()
        for message in messages
    ]


# The import as a whole: permission, reading, audit


def import_tables(
    tables: list[Table],
    *,
    area: Area,
    actor,
    mode: str = Mode.ALL_OR_NOTHING,
    progress: Callable[[int, int], None] | None = None,
    audit_object=None,
) -> ImportReport:
    """Import tables read by read_tables() into `area` (see the module docstring).

    `actor` must be allowed to edit the area's registry (None: a command-line import by the
    operator). Row problems are in the report; `progress(done, total)` follows every row.
    """
    if actor is not None and not policies.can_edit_registry(actor, area):
        raise PermissionDenied(
            _("You may not change the registry of %(area)s.") % {"area": area.name}
        )
    with transaction.atomic():
        report = Importer(area=area, actor=actor, mode=mode).run(tables, progress=progress)
        registry.audit(
            actor,
            AuditEntry.Action.IMPORT,
            audit_object if audit_object is not None else area,
            fields=[table.kind for table in tables],
            detail=f"area={area.code} {report.summary()}",
        )
    return report


def import_file(content: bytes, *, area: Area, actor, kind: str = Kind.AUTO, **options):
    """read_tables() then import_tables(): raises ImportFileError for an unreadable file."""
    return import_tables(read_tables(content, kind=kind), area=area, actor=actor, **options)


# Import jobs: uploaded on a page, run by the Celery task grid.run_import


def areas_open_to_import(user):
    """The areas whose registry `user` may change, as policies.can_edit_registry decides."""
    if not user.is_authenticated:
        return Area.objects.none()
    if scope_of(user).everything:
        return Area.objects.all()
    posts = user.posts.filter(is_active=True, role__in=policies.REGISTRY_ROLES).exclude(area=None)
    condition = Q(pk__in=[])
    for path in posts.values_list("area__path", flat=True):
        condition |= Q(path__startswith=path)
    return Area.objects.filter(condition)


def import_jobs_visible_to(user):
    """Jobs of the areas in the user's jurisdiction, and the user's own uploads."""
    jobs = ImportJob.objects.select_related("area", "uploader")
    if not user.is_authenticated:
        return jobs.none()
    return restrict(jobs, user, path_field="area__path") | jobs.filter(uploader=user)


@transaction.atomic
def start_import(*, actor, area: Area, upload, mode: str, kind: str = Kind.AUTO) -> ImportJob:
    """Store an uploaded file as a new ImportJob and have a worker run it after the commit."""
    from grid.tasks import run_import  # the task module imports this one

    if not policies.can_edit_registry(actor, area):
        raise PermissionDenied(
            _("You may not change the registry of %(area)s.") % {"area": area.name}
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES >> 20}]}
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    job = ImportJob(
        uploader=actor, area=area, mode=mode, kind=kind, file_name=PurePath(upload.name).name[:200]
    )
    # A generated name: the uploader's file name may itself say whom the file is about.
    job.file.save(f"{uuid4().hex}{suffix}", upload, save=False)
    job.save()
    # The report is written in the uploader's language, not the worker's.
    run_import.delay_on_commit(job.pk, translation.get_language())
    return job


def _progress_key(job_id: int) -> str:
    return f"grid:import:{job_id}:processed"


def job_progress(job: ImportJob) -> dict:
    """What the job page shows while it polls: status and rows processed so far."""
    processed = job.processed_rows
    if job.status == ImportJob.Status.RUNNING:
        # The rows are written in one transaction, invisible to other connections until it
        # ends, so the running count travels through the shared cache instead of the row.
        processed = max(processed, shared_cache.get(_progress_key(job.pk), 0))
    return {
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "total": job.total_rows,
        "processed": processed,
        "finished": job.is_finished,
    }


def run_job(job_id: int, *, progress: Callable[[int, int], None] | None = None) -> ImportJob | None:
    """Run an import job once. A finished job is left as it is, so a task delivered twice does
    the work once; two workers running it at the same moment queue on the job row's lock, and
    the second finds it finished. A worker that dies mid-way leaves nothing written (the rows
    and the job's "done" are one transaction), so running the job again is safe.
    """
    job = ImportJob.objects.select_related("area", "uploader").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    try:
        with job.file.open("rb") as handle:
            tables = read_tables(handle.read(), kind=job.kind)
    except (OSError, ValueError):
        return _fail(job, [RowError(0, "file", _("The uploaded file is missing."))])
    except ImportFileError as exc:
        return _fail(job, exc.errors)
    total = sum(len(table.rows) for table in tables)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total, processed_rows=0)
    key, step = _progress_key(job.pk), max(1, total // 100)

    def report_progress(processed: int, total: int) -> None:
        if processed % step == 0 or processed == total:
            shared_cache.set(key, processed, timeout=24 * 3600)
        if progress is not None:
            progress(processed, total)

    try:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.is_finished:
                return locked
            report = import_tables(
                tables,
                area=job.area,
                actor=job.uploader,
                mode=job.mode,
                progress=report_progress,
                audit_object=job,
            )
            _finish(job, report)
    except PermissionDenied as exc:
        return _fail(job, [RowError(0, "area", str(exc))])
    except Exception as exc:
        # The type only: the message of an error raised on a row could quote its values.
        logger.error("import job %s failed: %s", job.pk, type(exc).__name__)
        return _fail(
            job,
            [RowError(0, "", _("The import stopped on an unexpected error; nothing was written."))],
        )
    finally:
        shared_cache.delete(key)
    _discard_file(job)
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, report: ImportReport) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        total_rows=report.total_rows,
        processed_rows=report.processed_rows,
        written_rows=report.written_rows,
        bad_rows=report.bad_rows,
        created={kind: report.created[kind] for kind in KIND_ORDER if report.created[kind]},
        errors=report.error_dicts(),
        finished_at=timezone.now(),
    )


def _fail(job: ImportJob, errors: list[RowError]) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.FAILED,
        errors=[error.as_dict() for error in errors],
        bad_rows=0,
        written_rows=0,
        finished_at=timezone.now(),
    )
    _discard_file(job)
    job.refresh_from_db()
    return job


def _discard_file(job: ImportJob) -> None:
    """Delete the uploaded file once its job has finished: it holds personal data, and the
    report keeps everything worth keeping."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def layout_header(kind: str) -> list[str]:
    """The column headers of a layout, in Chinese, as a template file lists them."""
    return [COLUMNS[key].headers[0] for key in LAYOUTS[kind]]
