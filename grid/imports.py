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
    The file is read as a stream, CHUNK_ROWS rows at a time, inside one transaction: memory
    follows the chunk, not the file. Each chunk is one pipeline:
      1. read and check every row in plain Python with the rules of grid/registry.py — the
         same ones the pages and the API go through (ID check digit, code tables, lengths,
         units and floors of a building, …);
      2. look up what the rows refer to, a few queries for the whole chunk: grids, buildings,
         houses and households by key, and the chunk's ID numbers, against the living persons
         registered and against the numbers met earlier in the file (a temporary table of
         their keyed hashes), in one query;
      3. check each row against those, in file order, as if it were imported alone after the
         rows before it: a room or household it adds is there for the rows after it;
      4. write the good rows with the bulk writer seed_demo uses (COPY on PostgreSQL), each
         table in one statement: buildings, houses, households with their heads, persons,
         their care tags, Residence and Membership history, the move-in LifeEvent and the
         CREATE audit entry of each person — the records register_person writes.
    On PostgreSQL a chunk's writes run on the connection in a thread of their own while the
    next chunk is read, foreign keys checked as each COPY ends (a household's head at the
    commit, as it is written before its person). A chunk is one savepoint. Should a unique
    index refuse a record of it (someone saved the same one meanwhile), the chunk is done again
    row by row and the row refused is reported.
    A bad row is reported with every problem found: line (the row number in the sheet, or the
    line in the CSV file), field, column header and message — never the value, which may be
    personal data. A value longer than its column, a number out of its column's range or a
    location off the globe is such a problem too. A bad row writes nothing. Then, by mode:
      dry_run          everything is rolled back: a report, nothing written;
      all_or_nothing   (default) kept only when no row was bad, otherwise rolled back;
      keep_good_rows   the good rows are kept, the bad ones reported.
    One IMPORT audit entry says who imported how many rows where, from which file (counts,
    never values).
"""

import codecs
import csv
import hashlib
import io
import itertools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, partial, wraps
from os import PathLike
from pathlib import PurePath
from uuid import uuid4

from django.core.cache import cache as shared_cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grid import codes, idnumbers, policies, population, registry
from grid.jurisdiction import restrict, scope_of
from grid.models import (
    Area,
    AuditEntry,
    Building,
    CareTag,
    House,
    Household,
    ImportJob,
    LifeEvent,
    Membership,
    Person,
    Residence,
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


# Reading: the file as a stream of rows


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
    # Read as they are consumed (open_tables), or a list (read_tables).
    rows: Iterable[Row] = field(default_factory=list)
    # How many rows the table holds at most, known before they are read (for progress): the
    # lines after the header (a CSV file) or the sheet's recorded size (a workbook). Blank
    # lines and quoted line breaks make the rows fewer, never more.
    size_hint: int = 0


READ_BLOCK = 1 << 20  # bytes read at a time while checking a CSV file's encoding


@contextmanager
def open_tables(source, *, kind: str = Kind.AUTO) -> Iterator[list[Table]]:
    """The tables of a CSV or XLSX file, in import order, each row read only when the import
    reaches it: memory follows the rows being imported, not the size of the file.

    `source` is a path or a binary file open for reading (seekable; left open). Raises
    ImportFileError for a file that cannot be imported (encoding, format, headers, no rows)
    before any row is imported, or, for a line that is not valid CSV, when the import reaches
    it (the import then writes nothing).
    """
    with ExitStack() as stack:
        if isinstance(source, str | PathLike):
            source = stack.enter_context(open(source, "rb"))  # noqa: SIM115 (closed by the stack)
        magic = source.read(4)
        source.seek(0)
        if magic == b"PK\x03\x04":
            raw = _xlsx_sheets(source, stack)
        elif magic == b"\xd0\xcf\x11\xe0":
            raise ImportFileError(
                [RowError(0, "file", _("This is an old .xls workbook; save it as .xlsx or CSV."))]
            )
        else:
            raw = [_csv_sheet(source, stack)]
        tables, errors = [], []
        for sheet, rows, lines in raw:
            table = _table(sheet, rows, kind, errors)
            if table is not None:
                table.size_hint = max(0, lines - table.header_line)
                tables.append(table)
        if errors:
            raise ImportFileError(errors)
        tables = [table for table in tables if _has_rows(table)]
        if not tables:
            raise ImportFileError([RowError(0, "file", _("The file has no rows to import."))])
        yield sorted(tables, key=lambda t: KIND_ORDER.index(t.kind))


def read_tables(content: bytes, *, kind: str = Kind.AUTO) -> list[Table]:
    """The tables of a CSV or XLSX file held in memory, their rows read into lists."""
    with open_tables(io.BytesIO(content), kind=kind) as tables:
        for table in tables:
            table.rows = list(table.rows)
            table.size_hint = len(table.rows)
    return tables


def _has_rows(table: Table) -> bool:
    """Whether the table has a row, which is read ahead and kept."""
    rows = iter(table.rows)
    first = next(rows, None)
    if first is None:
        return False
    table.rows = itertools.chain([first], rows)
    return True


def _csv_sheet(handle, stack: ExitStack) -> tuple[str, Iterator[tuple[int, list[str]]], int]:
    encoding, lines = _csv_encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    # Detached, not closed, when done: the file is the caller's to close.
    stack.callback(text.detach)
    return "", _csv_rows(text), lines


def _csv_encoding(handle) -> tuple[str, int]:
    """The encoding of a CSV file, UTF-8 (with or without BOM) or else GB18030, and its number
    of lines, read block by block: a file that is neither is refused before any row is read."""
    for encoding in ("utf-8-sig", "gb18030"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        newlines = returns = 0
        last = b""
        try:
            while block := handle.read(READ_BLOCK):
                decoder.decode(block)
                # Neither encoding uses these bytes inside a character.
                newlines += block.count(b"\n")
                returns += block.count(b"\r")
                last = block[-1:]
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        handle.seek(0)
        return encoding, max(newlines, returns) + (last not in (b"", b"\n", b"\r"))
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


def _csv_rows(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    first_line = text.readline()
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(itertools.chain([first_line], text), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error:
        raise ImportFileError(
            [RowError(start, "file", _("This line is not valid CSV (check the quotes)."))]
        ) from None


def _xlsx_sheets(handle, stack: ExitStack) -> list[tuple[str, Iterator[tuple[int, list]], int]]:
    import openpyxl  # only imports of workbooks pay for loading it

    try:
        # Read-only: rows are parsed from the sheet's XML as they are asked for. The workbook's
        # shared strings (its distinct texts) are read whole, so a workbook's memory follows
        # those; a CSV file's follows the chunk only.
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise ImportFileError(_unreadable_workbook()) from None
    stack.callback(book.close)
    sheets = []
    for sheet in book.worksheets:
        try:
            size = sheet.max_row or 0  # the size the workbook records, when it does
        except Exception:
            size = 0
        sheets.append((sheet.title, _xlsx_rows(sheet), size))
    return sheets


def _xlsx_rows(sheet) -> Iterator[tuple[int, list]]:
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except Exception:  # a sheet broken part-way through
        raise ImportFileError(_unreadable_workbook()) from None


def _unreadable_workbook() -> list[RowError]:
    return [RowError(0, "file", _("The workbook cannot be read; save it again as .xlsx."))]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(sheet: str, rows: Iterator, kind: str, errors: list[RowError]) -> Table | None:
    """The table of a sheet, from its header row; its rows are read later, from `rows`."""
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
    table.rows = _data_rows(rows, list(positions.items()))
    return table


def _data_rows(rows: Iterator, positions: list[tuple[int, str]]) -> Iterator[Row]:
    for line, cells in rows:
        width = len(cells)
        values = {key: cells[position] for position, key in positions if position < width}
        try:
            # Text cells (all of a CSV file's) are blank when they join into blank text.
            blank = not "".join(values.values()).strip()
        except TypeError:
            blank = all(_blank(value) for value in values.values())
        if not blank:
            yield Row(line=line, values=values)


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
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SPLIT_TAGS = re.compile(r"[、,，;；/\s]+")
_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}


def _alias(text: object) -> str:
    return "".join(str(text).split()).lower()


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


MEMO_VALUES = 50_000  # cell values an import remembers the reading of


def _by_value(read):
    """A reading of a cell that depends on its value alone (a code, a choice, a date, a yes or
    no, a label): remembered with the problems it found, when the Cells have a memo, for the
    rows after it. A column holds few distinct such values, read for a million rows."""

    @wraps(read)
    def method(self, key, *args):
        memo = self.memo
        if memo is None:
            return read(self, key, *args)
        value = self.values.get(key)
        known = memo.get((read, key, args, type(value), value))  # 1, 1.0 and True differ
        if known is not None:
            result, problems = known
            if problems:
                self.errors.extend(problems)
            return result
        before = len(self.errors)
        result = read(self, key, *args)
        if len(memo) < MEMO_VALUES:
            memo[read, key, args, type(value), value] = (result, self.errors[before:])
        return result

    return method


class Cells:
    """The values of one row, read field by field; each problem is appended to `errors`.
    Cells of an import share a memo of the readings that depend on a value alone."""

    def __init__(self, row: Row, memo: dict | None = None):
        self.values = row.values
        self.errors: list[tuple[str, str]] = []  # (column key, message)
        self.memo = memo

    def has(self, key: str) -> bool:
        return not _blank(self.values.get(key))

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, message))

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.values.get(key)
        if type(value) is str:  # every cell of a CSV file, most of a workbook's
            text = value.strip()
        else:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, datetime):
                value = value.date()
            text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(key, _("This field is required."))
        return text

    @_by_value
    def label(self, key: str) -> str:
        """A number or name such as 3, "3栋" or "3单元", without its counting word."""
        return _SUFFIXES.sub("", self.text(key)).strip()

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.text(key)
        if value.isdecimal() and len(value) <= MAX_DIGITS:
            return int(value)  # plain digits: nothing to take off, nothing to check
        value = _SUFFIXES.sub("", value).strip()
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

    @_by_value
    def date(self, key: str) -> date | None:
        value = self.values.get(key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(key)
        if not text:
            return None
        if len(text) == 10 and text[4] == "-" == text[7]:
            # 2024-05-01, the commonest way, read without a regular expression.
            parts = (text[:4], text[5:7], text[8:])
            match = parts if all(part.isdecimal() for part in parts) else None
        else:
            match = _DATE_TEXT.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
            match = match and match.groups()
        try:
            if match is None:
                raise ValueError
            return date(*(int(part) for part in match))
        except ValueError:
            self.error(key, _("Enter a valid date."))
            return None

    @_by_value
    def boolean(self, key: str) -> bool:
        value = self.values.get(key)
        if isinstance(value, bool):
            return value
        text = self.text(key)
        if text not in _FALSE and text not in _TRUE:
            text = _alias(text)
        if not text or text in _FALSE:
            return False
        if text in _TRUE:
            return True
        self.error(key, _("Enter 是 or 否 (yes or no)."))
        return False

    @_by_value
    def code(self, key: str, table: str) -> str:
        text = self.text(key)
        if not text:
            return ""
        lookup = _code_lookup(table)
        width = len(codes.TABLES[table][0].code)
        if text.isdigit() and len(text) < width:
            text = text.zfill(width)  # a spreadsheet turns "01" into 1
        # A key of the lookup is its own alias: most cells are found without making one.
        found = lookup.get(text) or lookup.get(_alias(text))
        if found is None:
            self.error(
                key, _("“%(value)s” is neither a code nor a name in this table.") % {"value": text}
            )
            return ""
        return found

    @_by_value
    def choice(self, key: str) -> str:
        text = self.text(key)
        if not text:
            return ""
        lookup = _choice_lookup(key)
        found = lookup.get(text) or lookup.get(_alias(text))
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


# Importing: chunk by chunk


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
    """Stops checking a row: a record it would add is refused, as the service would refuse it."""


# Model field names in the services' errors → the columns of each layout.
_FIELD_TO_COLUMN = {
    "building": {"number": "building", "name": "building_name"},
    "house": {"number": "room", "owner_name": "owner"},
    "household": {"number": "household", "kind": "household_kind", "house": "room"},
    "person": {"house": "room", "person": ""},
}

CHUNK_ROWS = 5000  # rows checked together and written together


# What the rows of a chunk refer to: records found in the registry (with their pk) or added by a
# good row of the same chunk (their pk given when the chunk is written).


@dataclass(eq=False, slots=True)
class _Building:
    pk: int
    grid_id: int
    number: str
    floors: int
    units: int


@dataclass(eq=False, slots=True)
class _House:
    pk: int | None
    grid_id: int
    building_id: int | None = None
    unit: int = 1
    floor: int = 0
    number: str = ""
    fields: dict | None = None  # a houses row's other fields


@dataclass(eq=False, slots=True)
class _Household:
    pk: int | None
    number: str
    grid_id: int
    house: _House | None
    in_area: bool = True
    has_head: bool = False
    head: "_PersonRow | None" = None  # the row of this chunk that becomes its head
    fields: dict | None = None  # a households row's other fields


@dataclass(eq=False, slots=True)
class _PersonRow:
    row: Row
    cells: Cells
    fields: dict | None = None
    relation: str = ""
    tags: list | None = None
    on: date | None = None
    cleaned: dict | None = None
    problems: dict | None = None  # registry.person_problems', by field
    digest: str = ""  # the keyed digest of a valid ID number
    seen_key: int | None = None  # the ID number's key among the numbers met in the file
    house: _House | None = None
    household: _Household | None = None
    pk: int | None = None


def _same(a, b) -> bool:
    return a is b or (a.pk is not None and a.pk == b.pk)


class _Chunk:
    """The records a chunk's rows refer to, each kind read in one query, and what its good rows
    add (written together at the end of the chunk)."""

    def __init__(self):
        self.buildings: dict[tuple[int, str], _Building] = {}  # (grid pk, number)
        # number → (how many buildings of the area have it, one of them), for rows without grid
        self.area_buildings: dict[str, tuple[int, _Building | None]] = {}
        self.houses: dict[tuple[int, int, str], _House] = {}  # (building pk, unit, room)
        self.households: dict[str, _Household] = {}
        self.taken_digests: set[str] = set()  # of living persons already registered
        self.seen_before: dict[int, tuple[str, int]] = {}  # ID numbers of earlier chunks
        self.seen_now: dict[int, tuple[str, int]] = {}  # ID numbers first met in this chunk
        self.new_houses: list[_House] = []
        self.new_households: list[_Household] = []
        self.new_heads: list[_Household] = []  # registered households getting a head


class _SeenNumbers:
    """The ID numbers met so far in the file, each with the sheet and line it was first met on,
    kept in a temporary table so that memory does not grow with the file and a chunk's numbers
    are checked in one query. It holds keyed 64-bit hashes of the numbers, not the numbers."""

    TABLE = "grid_import_seen"

    def __init__(self, writer):
        self.writer = writer
        # blake2b takes a key of at most 64 bytes: the registry key's SHA-256.
        self.key = hashlib.sha256(registry.registry_key()).digest()
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE}"
                " (key bigint PRIMARY KEY, sheet text NOT NULL, line integer NOT NULL)"
            )

    def key_of(self, id_type: str, number: str) -> int:
        digest = hashlib.blake2b(f"{id_type}:{number}".encode(), key=self.key, digest_size=8)
        return int.from_bytes(digest.digest(), "big", signed=True)

    def find(self, digests: set[str], keys: set[int]):
        """The digests among `digests` of living persons registered (this import's included),
        and where each key among `keys` was first met: one query."""
        if connection.vendor == "postgresql":
            # One index probe per value, however stale the planner's statistics: an import
            # grows these tables faster than they are analysed.
            sql = (
                "SELECT p.id_digest, NULL::bigint, NULL::text, NULL::integer"
                " FROM unnest(%s::text[]) AS d(digest), LATERAL (SELECT id_digest"
                f"  FROM {Person._meta.db_table} WHERE id_digest = d.digest AND status = %s"
                "  LIMIT 1) AS p"
                " UNION ALL SELECT NULL, s.key, s.sheet, s.line"
                " FROM unnest(%s::bigint[]) AS k(key), LATERAL (SELECT key, sheet, line"
                f"  FROM {self.TABLE} WHERE key = k.key LIMIT 1) AS s"
            )
            params = [list(digests), Person.Status.LIVING.value, list(keys)]
        else:
            parts, params = [], []
            if digests:
                parts.append(
                    f"SELECT id_digest, NULL, NULL, NULL FROM {Person._meta.db_table}"
                    f" WHERE status = %s AND id_digest IN ({', '.join(['%s'] * len(digests))})"
                )
                params += [Person.Status.LIVING.value, *digests]
            if keys:
                parts.append(
                    f"SELECT NULL, key, sheet, line FROM {self.TABLE}"
                    f" WHERE key IN ({', '.join(['%s'] * len(keys))})"
                )
                params += keys
            sql = " UNION ALL ".join(parts)
        taken, seen = set(), {}
        if sql:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                for digest, key, sheet, line in cursor.fetchall():
                    if digest is not None:
                        taken.add(digest)
                    else:
                        seen[key] = (sheet, line)
        return taken, seen

    def add(self, seen: dict[int, tuple[str, int]]) -> None:
        self.writer.insert_rows(
            self.TABLE,
            ["key", "sheet", "line"],
            ((key, sheet, line) for key, (sheet, line) in seen.items()),
        )

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.TABLE}")


class Importer:
    """Imports the rows of one area's tables, chunk by chunk; see the module docstring.

    A chunk's rows are read and checked in plain Python, with the rules of grid/registry.py; what
    they refer to (grids, buildings, houses, households) and their ID numbers are looked up in a
    few queries for the whole chunk; then its good rows are written with the bulk writer, each
    table in one statement, with the history and audit entries the services write. Each chunk
    sees what the chunks before it wrote (same transaction), and each row what the good rows
    before it in its chunk add.
    """

    def __init__(
        self, *, area: Area, actor, mode: str, today: date | None = None, chunk_rows=CHUNK_ROWS
    ):
        self.area, self.actor, self.today = area, actor, today or timezone.localdate()
        self.chunk_rows = chunk_rows
        self.report = ImportReport(mode=mode)
        self.actor_id = actor.pk if actor is not None and actor.is_authenticated else None
        self._grids: dict[str, Area] = {}  # grid code or name → the grid, as found
        self._where = ("", 0)  # (sheet, line) of the row being checked
        self._tags = {
            _alias(name): tag
            for tag in CareTag.objects.all()
            for name in (tag.code, tag.name, tag.name_en)
        }
        self._writer = population.bulk_writer()
        self._memo: dict = {}  # of the rows' Cells
        self._seen: _SeenNumbers | None = None
        self._jit: str | None = None  # the setting before the import
        self._background: ThreadPoolExecutor | None = None  # writing a chunk meanwhile
        self._pending = None  # the chunk being written: (table, rows, savepoint, …, future)

    def run(
        self, tables: list[Table], *, progress: Callable[[int, int], None] | None = None
    ) -> ImportReport:
        """Import every row, then keep or roll back the writes as the mode says."""
        report = self.report
        self._progress = progress
        self._expected = sum(table.size_hint for table in tables)
        with transaction.atomic():
            try:
                self._begin()
                for table in tables:
                    rows = iter(table.rows)
                    while chunk := list(itertools.islice(rows, self.chunk_rows)):
                        # Read while the previous chunk is being written, then check and start
                        # writing this one.
                        read = self._read(table, chunk)
                        self._finish_chunk()
                        self._start_chunk(table, chunk, read)
                self._finish_chunk()
            finally:
                self._stop_writing()
                self._end()
            keep = report.good_rows > 0 and (
                report.mode == Mode.KEEP_GOOD_ROWS
                or (report.mode == Mode.ALL_OR_NOTHING and not report.errors)
            )
            if keep:
                report.written_rows = report.good_rows
            else:
                transaction.set_rollback(True)
        return report

    def _begin(self) -> None:
        self._seen = _SeenNumbers(self._writer)
        if connection.vendor != "postgresql":
            return
        # On PostgreSQL a chunk's writes run in a thread of their own while the next chunk is
        # read: the server works through COPY, index entries and key checks meanwhile.
        self._background = ThreadPoolExecutor(1, "grid-import-writes")
        self._writer.describe(*_WRITTEN, self._seen.TABLE)
        with connection.cursor() as cursor:
            # A chunk's lookups are thousands of index probes the planner may cost high enough
            # to compile them, which takes longer than running them.
            cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            self._jit = cursor.fetchone()[0]
            # Foreign keys checked as each COPY ends, not all at the commit: the checks then
            # run while the next chunk is read. A household's head is written before its
            # person, so that key waits for the commit as usual.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid = %s::regclass AND conkey = ARRAY["
                "  (SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass"
                "   AND attname = 'head_id')]::smallint[]",
                [Household._meta.db_table] * 2,
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(name)} DEFERRED")

    def _end(self) -> None:
        # Also when an error is on its way up: a caller that catches it goes on in its
        # transaction as before (or finds it aborted, where these fail and change nothing).
        with suppress(DatabaseError):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares keys
                    if self._jit is not None:
                        cursor.execute("SELECT set_config('jit', %s, true)", [self._jit])
            if self._seen is not None:
                self._seen.drop()

    def _read(self, table: Table, rows: list[Row]):
        """What a chunk's rows say on their own, read without the database."""
        return [self._read_person(row) for row in rows] if table.kind == Kind.PERSONS else None

    def _start_chunk(self, table: Table, rows: list[Row], read) -> None:
        """Check a chunk and start writing it, in a savepoint of its own."""
        savepoint = transaction.savepoint()
        try:
            outcomes, writes = getattr(self, f"_{table.kind}")(table, rows, read)
        except IntegrityError:  # refused by a statement of the checks (a head set)
            self._redo(table, rows, savepoint)
            return
        self._pending = (table, rows, savepoint, outcomes, self._submit(writes))
        if self._background is None:
            self._finish_chunk()

    def _submit(self, writes: list) -> Future:
        if self._background is not None:
            return self._background.submit(_run_all, writes)
        done = Future()
        try:
            _run_all(writes)
        except Exception as exc:
            done.set_exception(exc)
        else:
            done.set_result(None)
        return done

    def _finish_chunk(self) -> None:
        """Wait for the chunk being written; keep it, or do it again row by row."""
        if self._pending is None:
            return
        table, rows, savepoint, outcomes, future = self._pending
        self._pending = None
        try:
            future.result()
        except IntegrityError:
            self._redo(table, rows, savepoint)
            return
        transaction.savepoint_commit(savepoint)
        self._record(table, outcomes)

    def _redo(self, table: Table, rows: list[Row], savepoint) -> None:
        """A unique index refused a record: someone saved the same one meanwhile. The chunk
        again, row by row, to tell which; the others are written all the same."""
        transaction.savepoint_rollback(savepoint)
        self._record(table, self._row_by_row(table, rows))

    def _stop_writing(self) -> None:
        """Never leave a write running on the connection (when an error is on its way up)."""
        if self._pending is not None:
            with suppress(Exception):
                self._pending[4].result()
        if self._background is not None:
            self._background.shutdown()

    def _row_by_row(self, table: Table, rows: list[Row]) -> list:
        outcomes = []
        for row in rows:
            try:
                with transaction.atomic():
                    found, writes = getattr(self, f"_{table.kind}")(
                        table, [row], self._read(table, [row])
                    )
                    _run_all(writes)
                outcomes += found
            except IntegrityError:
                message = _("This row clashes with a record saved meanwhile; import it again.")
                outcomes.append((row, [("", message)], Counter()))
        return outcomes

    def _record(self, table: Table, outcomes: list) -> None:
        report = self.report
        for row, errors, created in outcomes:
            if errors:
                report.errors.extend(
                    RowError(row.line, key, message, table.columns.get(key, ""), table.sheet)
                    for key, message in errors
                )
            else:
                report.created.update(created)
        done = report.processed_rows
        report.total_rows = report.processed_rows = done + len(outcomes)
        if self._progress is not None:
            total = max(self._expected, report.total_rows)
            for processed in range(done + 1, report.total_rows + 1):
                self._progress(processed, total)

    def _check(self, cells: Cells, what: str, rule, *args, **kwargs) -> None:
        """Apply a rule of grid/registry.py; its ValidationError becomes this row's problems."""
        try:
            rule(*args, **kwargs)
        except ValidationError as exc:
            cells.errors.extend(_problems(exc, _FIELD_TO_COLUMN[what]))
            raise _BadRow from None

    # What the rows of a chunk refer to, looked up together

    def _look_up(self, rows: list[Row], chunk: _Chunk, *, houses=True, households=False) -> None:
        """Read the grids, buildings, houses and households the rows name, one query each.
        Each place named is read once (the members of a household name the same room), with
        throwaway Cells: a row's problems are reported when it is checked, in the order its
        checks find them."""
        places: dict[tuple, Cells] = {}
        numbers: dict[tuple, Cells] = {}
        for row in rows:
            values = row.values
            # The types too: 1, 1.0 and True are equal keys, but not the same cell.
            place = tuple(
                (type(value), value)
                for value in (values.get(key) for key in ("grid", "building", "unit", "room"))
            )
            if place not in places:
                places[place] = Cells(row, self._memo)
            number = values.get("household")
            if households and (type(number), number) not in numbers:
                numbers[type(number), number] = Cells(row, self._memo)
        probes = places.values()
        self._find_grids({probe.text("grid") for probe in probes})
        in_grid: set[tuple[int, str]] = set()
        in_area: set[str] = set()
        for probe in probes:
            number = probe.text("building")
            grid = self._grid(probe, required=False)
            if not number or (probe.has("grid") and grid is None):
                continue
            names = {number, probe.label("building")}
            if grid is not None:
                in_grid.update((grid.pk, name) for name in names)
            else:
                in_area.update(names)
        self._find_buildings(chunk, in_grid, in_area)
        if houses:
            rooms = set()
            for probe in probes:
                building = self._building(probe, chunk) if probe.has("room") else None
                if building is not None:
                    rooms.add((building.pk, probe.integer("unit") or 1, probe.text("room")))
            self._find_houses(chunk, rooms)
        if households:
            wanted = {probe.text("household") for probe in numbers.values()} - {""}
            self._find_households(chunk, wanted)

    def _find_grids(self, values: set[str]) -> None:
        """Find the grids named (by code or name) that are not known yet; one not found, or
        named ambiguously, is looked for again by the next chunk that names it."""
        wanted = {value for value in values if value and value not in self._grids}
        if not wanted:
            return
        found = list(
            Area.objects.filter(
                Q(code__in=wanted) | Q(name__in=wanted),
                level=Area.Level.GRID,
                path__startswith=self.area.path,
            )
        )
        for value in wanted:
            matches = [grid for grid in found if value in (grid.code, grid.name)]
            if len(matches) == 1:
                self._grids[value] = matches[0]

    def _find_buildings(self, chunk: _Chunk, in_grid: set, in_area: set) -> None:
        if in_grid:
            rows = Building.objects.filter(
                grid_id__in={grid for grid, _number in in_grid},
                number__in={number for _grid, number in in_grid},
            ).values_list("pk", "grid_id", "number", "floors", "units")
            for pk, grid_id, number, floors, units in rows:
                chunk.buildings[grid_id, number] = _Building(pk, grid_id, number, floors, units)
        if in_area:
            rows = (
                Building.objects.filter(grid__path__startswith=self.area.path, number__in=in_area)
                .values("number")
                .annotate(
                    count=Count("pk"),
                    first=Min("pk"),
                    grid=Min("grid_id"),
                    most_floors=Min("floors"),
                    most_units=Min("units"),
                )
            )
            for row in rows:
                # With one building of that number, the minima are its values.
                building = _Building(
                    row["first"], row["grid"], row["number"], row["most_floors"], row["most_units"]
                )
                chunk.area_buildings[row["number"]] = (row["count"], building)

    def _find_houses(self, chunk: _Chunk, rooms: set[tuple[int, int, str]]) -> None:
        if not rooms:
            return
        if connection.vendor == "postgresql":
            # A probe of the unique index per room, whatever the statistics say.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT h.id, h.grid_id, h.building_id, h.unit, h.floor, h.number"
                    " FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS k(b, u, n),"
                    " LATERAL (SELECT id, grid_id, building_id, unit, floor, number"
                    f"  FROM {House._meta.db_table}"
                    "  WHERE building_id = k.b AND unit = k.u AND number = k.n LIMIT 1) AS h",
                    [list(column) for column in zip(*rooms, strict=True)],
                )
                found = cursor.fetchall()
        else:
            found = House.objects.filter(
                building_id__in={building for building, _unit, _room in rooms},
                number__in={room for _building, _unit, room in rooms},
            ).values_list("pk", "grid_id", "building_id", "unit", "floor", "number")
        for pk, grid_id, building_id, unit, floor, number in found:
            chunk.houses[building_id, unit, number] = _House(
                pk, grid_id, building_id, unit, floor, number
            )

    def _find_households(self, chunk: _Chunk, numbers: set[str]) -> None:
        if not numbers:
            return
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT h.id, h.number, h.grid_id, h.path, h.head_id, h.house_id, h.house_grid"
                    " FROM unnest(%s::text[]) AS k(number), LATERAL ("
                    "  SELECT hh.id, hh.number, hh.grid_id, a.path, hh.head_id, hh.house_id,"
                    "   hs.grid_id AS house_grid"
                    f"  FROM {Household._meta.db_table} hh"
                    f"  JOIN {Area._meta.db_table} a ON a.id = hh.grid_id"
                    f"  LEFT JOIN {House._meta.db_table} hs ON hs.id = hh.house_id"
                    "  WHERE hh.number = k.number LIMIT 1) AS h",
                    [list(numbers)],
                )
                found = cursor.fetchall()
        else:
            found = Household.objects.filter(number__in=numbers).values_list(
                "pk", "number", "grid_id", "grid__path", "head_id", "house_id", "house__grid_id"
            )
        for pk, number, grid_id, path, head_id, house_id, house_grid_id in found:
            house = _House(house_id, house_grid_id) if house_id is not None else None
            chunk.households[number] = _Household(
                pk,
                number,
                grid_id,
                house,
                in_area=path.startswith(self.area.path),
                has_head=head_id is not None,
            )

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
        grid = self._grids.get(value)
        if grid is None:
            cells.error(
                "grid", _("%(area)s has no grid with this code or name.") % {"area": self.area.name}
            )
        return grid

    def _building(self, cells: Cells, chunk: _Chunk) -> _Building | None:
        number = cells.text("building", required=True)
        grid = self._grid(cells, required=False)
        if not number or (cells.has("grid") and grid is None):
            return None
        label = cells.label("building")
        if grid is not None:
            building = chunk.buildings.get((grid.pk, number))
            if building is None and label != number:
                building = chunk.buildings.get((grid.pk, label))  # "3栋" for "3"
            count = 0 if building is None else 1
        else:
            count, building = chunk.area_buildings.get(number, (0, None))
            if not count and label != number:
                count, building = chunk.area_buildings.get(label, (0, None))
        if count == 1:
            return building
        if count:
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

    def _house(self, cells: Cells, chunk: _Chunk, created: Counter, *, adds: list | None):
        """The room a row names (building + unit + room); None when it names none. With `adds`,
        a room missing from the registry is added when the row gives its floor (appended to
        `adds`, to be kept if the row is good)."""
        if not cells.has("room"):
            if cells.has("building"):
                cells.error("room", _("Give the room (房号) in the building."))
            return None
        building = self._building(cells, chunk)
        unit = cells.integer("unit") or 1
        room = cells.text("room")
        floor = cells.integer("floor") if adds is not None else None
        if building is None:
            return None
        house = chunk.houses.get((building.pk, unit, room))
        if house is not None:
            return house
        where = {"building": building.number, "room": room, "unit": unit}
        if floor is None:
            message = (
                _("Building %(building)s has no room %(room)s in unit %(unit)s; give its floor.")
                if adds is not None
                else _("Building %(building)s has no room %(room)s in unit %(unit)s.")
            )
            cells.error("room", message % where)
            return None
        if cells.errors:
            return None  # no room is added for a row that is bad anyway
        created["houses"] += 1
        fields = {"unit": unit, "floor": floor, "number": room}
        self._check(cells, "house", registry.check_new_house, building, fields, taken=False)
        house = _House(None, building.grid_id, building.pk, unit, floor, room)
        adds.append(house)
        return house

    def _household(self, cells: Cells, house, chunk: _Chunk, created: Counter, adds: list):
        """The household a persons row names: found in the area, or added by its first row."""
        number = cells.text("household")
        household = chunk.households.get(number)
        if household is None:
            if cells.errors:
                return None
            grid = None if house else self._grid(cells, required=True)
            if cells.errors:
                return None
            created["households"] += 1
            self._check(
                cells, "household", registry.check_new_household,
                number=number, house=house, grid=grid, fields={}, taken=False,
            )  # fmt: skip
            household = _Household(None, number, house.grid_id if house else grid.pk, house)
            adds.append(household)
            return household
        if not household.in_area:
            cells.error(
                "household",
                _("No household %(number)s in %(area)s.")
                % {"number": number, "area": self.area.name},
            )
            return None
        if house is not None and household.house is not None and not _same(household.house, house):
            cells.error(
                "room", _("Household %(number)s lives in another room.") % {"number": number}
            )
            return None
        return household

    # One method per kind of table: check a chunk's rows, then write the good ones

    def _buildings(self, table: Table, rows: list[Row], read) -> tuple[list, list]:
        probes = [Cells(row, self._memo) for row in rows]
        self._find_grids({probe.text("grid") for probe in probes})
        wanted = set()
        for probe in probes:
            grid = self._grid(probe, required=True)
            if grid is not None:
                wanted.add((grid.pk, probe.text("building")))
        taken = set(
            Building.objects.filter(
                grid_id__in={grid for grid, _n in wanted}, number__in={n for _g, n in wanted}
            ).values_list("grid_id", "number")
        )
        outcomes, good = [], []
        for row in rows:
            cells, created = Cells(row, self._memo), Counter()
            try:
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
                if not cells.errors:
                    fields = {key: value for key, value in fields.items() if value is not None}
                    key = (grid.pk, fields["number"])
                    self._check(
                        cells, "building", registry.check_new_building, grid, fields,
                        taken=key in taken,
                    )  # fmt: skip
                    created["buildings"] += 1
                    taken.add(key)
                    good.append((grid, fields))
            except _BadRow:
                pass
            outcomes.append((row, cells.errors, created))
        now = timezone.now()
        defaults = _defaults(Building, "name", "floors", "units", "lng", "lat")
        write = partial(
            self._writer.insert,
            Building,
            ("grid_id", "number", "address", *defaults, "created_at", "updated_at"),
            (
                (grid.pk, f["number"], f["address"], *_values(f, defaults), now, now)
                for grid, f in good
            ),
        )
        return outcomes, [write]

    def _houses(self, table: Table, rows: list[Row], read) -> tuple[list, list]:
        chunk = _Chunk()
        self._look_up(rows, chunk)
        outcomes, good = [], []
        for row in rows:
            cells, created = Cells(row, self._memo), Counter()
            try:
                building = self._building(cells, chunk)
                fields = {
                    "unit": cells.integer("unit") or 1,
                    "floor": cells.integer("floor", required=True),
                    "number": cells.text("room", required=True),
                    "floor_area": cells.decimal("floor_area"),
                    "use": cells.choice("use") or House.Use.SELF_OCCUPIED,
                    "owner_name": cells.text("owner"),
                    "owner_phone": cells.text("owner_phone"),
                }
                if not cells.errors:
                    key = (building.pk, fields["unit"], fields["number"])
                    self._check(
                        cells, "house", registry.check_new_house, building, fields,
                        taken=key in chunk.houses,
                    )  # fmt: skip
                    created["houses"] += 1
                    house = _House(None, building.grid_id, building.pk, fields["unit"],
                                   fields["floor"], fields["number"], fields)  # fmt: skip
                    chunk.houses[key] = house
                    good.append(house)
            except _BadRow:
                pass
            outcomes.append((row, cells.errors, created))
        return outcomes, [self._write_houses(good, timezone.now())]

    def _households(self, table: Table, rows: list[Row], read) -> tuple[list, list]:
        chunk = _Chunk()
        self._look_up(rows, chunk, households=True)
        outcomes, good = [], []
        for row in rows:
            cells, created = Cells(row, self._memo), Counter()
            try:
                number = cells.text("household", required=True)
                kind = cells.choice("household_kind") or Household.Kind.FAMILY
                address = cells.text("registered_address")
                house = self._house(cells, chunk, created, adds=None)
                grid = None if house else self._grid(cells, required=True)
                if not cells.errors:
                    fields = {"kind": kind, "registered_address": address}
                    self._check(
                        cells, "household", registry.check_new_household,
                        number=number, house=house, grid=grid, fields=fields,
                        taken=number in chunk.households,
                    )  # fmt: skip
                    created["households"] += 1
                    household = _Household(
                        None, number, house.grid_id if house else grid.pk, house, fields=fields
                    )
                    chunk.households[number] = household
                    good.append(household)
            except _BadRow:
                pass
            outcomes.append((row, cells.errors, created))
        return outcomes, [self._write_households(good, timezone.now())]

    def _persons(self, table: Table, rows: list[Row], items) -> tuple[list, list]:
        chunk = _Chunk()
        self._look_up(rows, chunk, households=True)
        chunk.taken_digests, chunk.seen_before = self._seen.find(
            {item.digest for item in items if item.digest},
            {item.seen_key for item in items if item.seen_key is not None},
        )
        outcomes, good = [], []
        for item in items:
            self._where = (table.sheet, item.row.line)
            created, houses, households = Counter(), [], []
            with suppress(_BadRow):
                self._check_person_row(item, chunk, created, houses, households)
            outcomes.append((item.row, item.cells.errors, created))
            if item.cells.errors:
                continue
            # The row is good: what it adds is there for the rows after it.
            for house in houses:
                chunk.houses[house.building_id, house.unit, house.number] = house
                chunk.new_houses.append(house)
            for household in households:
                chunk.households[household.number] = household
                chunk.new_households.append(household)
            if item.household is not None and item.relation == registry.HEAD:
                item.household.has_head, item.household.head = True, item
                if item.household.pk is not None:
                    chunk.new_heads.append(item.household)
            good.append(item)
        writes = [partial(self._seen.add, chunk.seen_now), *self._write_persons(good, chunk)]
        return outcomes, writes

    # A persons row, read and checked

    def _read_person(self, row: Row) -> _PersonRow:
        """A persons row's values and the problems found in them alone (no database)."""
        cells = Cells(row, self._memo)
        item = _PersonRow(row=row, cells=cells)
        item.fields = fields = self._person_fields(cells)
        item.relation = cells.code("relation", "relation_to_head")
        item.tags = self._care_tags(cells)
        item.on = cells.date("moved_in_on") or self.today
        given = dict(fields)  # a sex or birth date left empty is not given
        for key in ("sex", "birth_date"):
            if not given[key]:
                del given[key]
        item.cleaned, item.problems = registry.person_problems(given, today=self.today)
        if item.cleaned["id_number"] and "id_number" not in item.problems:
            item.digest = registry.id_digest(item.cleaned["id_number"])
        if fields["id_number"]:
            item.seen_key = self._seen.key_of(fields["id_type"], fields["id_number"])
        return item

    def _check_person_row(self, item: _PersonRow, chunk, created, houses, households) -> None:
        cells = item.cells
        self._check_person(item, chunk)
        if cells.has("household"):
            if not cells.has("relation"):
                cells.error("relation", _("Choose the relation to the head of household."))
        elif cells.has("relation"):
            cells.error("relation", _("A relation to the head needs a household (户号)."))
        elif not cells.has("room"):
            cells.error(
                "room", _("Give the room (房号) or the household (户号) the person lives in.")
            )
        house = self._house(cells, chunk, created, adds=houses)
        household = (
            self._household(cells, house, chunk, created, households)
            if cells.has("household")
            else None
        )
        if household is not None and item.relation == registry.HEAD and household.has_head:
            cells.error("relation", _("The household already has a head."))
        if cells.errors:
            return
        item.house = house or (household.house if household else None)
        item.household = household
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

    def _check_person(self, item: _PersonRow, chunk: _Chunk) -> None:
        """registry.clean_person's rules, plus an ID number given twice in the file and a sex or
        birth date that contradicts the ID number, all reported together."""
        cells, fields = item.cells, item.fields
        unreadable = {key for key, _message in cells.errors} if cells.errors else set()
        number = fields["id_number"]
        duplicate, first = False, None
        if number:
            first = chunk.seen_before.get(item.seen_key) or chunk.seen_now.setdefault(
                item.seen_key, self._where
            )
            duplicate = first != self._where
        problems = item.problems
        if item.digest in chunk.taken_digests and "id_number" not in problems:
            problems = {**problems, "id_number": [registry.id_number_taken_message()]}
        cleaned = None if problems else item.cleaned
        if problems:
            bad_number = "id_number" in unreadable or "id_number" in problems
            if bad_number and not fields["sex"]:
                # The sex comes from the ID number: once it is right, so is the sex.
                unreadable.add("sex")
            for key, messages in problems.items():
                # A field the row could not read already has its message; a repeated ID
                # number gets the clearer one below.
                if key not in unreadable and not (duplicate and key == "id_number"):
                    cells.errors.extend((key, message) for message in messages)
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

    # Writing a chunk: each table in one statement, as the services would write the records

    def _write_houses(self, houses: list[_House], now) -> Callable[[], None]:
        defaults = _defaults(House, "floor_area", "use", "owner_name", "owner_phone")
        columns = ("building_id", "grid_id", "unit", "floor", "number", *defaults,
                   "created_at", "updated_at")  # fmt: skip
        rows = (
            (h.building_id, h.grid_id, h.unit, h.floor, h.number, *_values(h.fields, defaults),
             now, now)
            for h in houses
        )  # fmt: skip
        if houses and houses[0].pk is not None:
            columns = ("id", *columns)
            rows = ((h.pk, *row) for h, row in zip(houses, rows, strict=True))
        return partial(self._writer.insert, House, columns, rows)

    def _write_households(self, households: list[_Household], now) -> Callable[[], None]:
        defaults = _defaults(Household, "kind", "registered_address")
        columns = ("number", *defaults, "house_id", "grid_id", "head_id", "created_at",
                   "updated_at")  # fmt: skip
        rows = (
            (hh.number, *_values(hh.fields, defaults), hh.house.pk if hh.house else None,
             hh.grid_id, hh.head.pk if hh.head else None, now, now)
            for hh in households
        )  # fmt: skip
        if households and households[0].pk is not None:
            columns = ("id", *columns)
            rows = ((hh.pk, *row) for hh, row in zip(households, rows, strict=True))
        return partial(self._writer.insert, Household, columns, rows)

    def _write_persons(self, good: list[_PersonRow], chunk: _Chunk) -> list[Callable[[], None]]:
        """The records register_person writes, for every good row of the chunk: the person with
        their current house, household and grid, their care tags, Residence, Membership, the
        move-in LifeEvent and the CREATE audit entry; and the rooms and households the rows add,
        with their heads. Their ids are taken and the heads of registered households set now;
        the writes returned write the rest."""
        writer, now = self._writer, timezone.now()
        for records, model in (
            (chunk.new_houses, House),
            (chunk.new_households, Household),
            (good, Person),
        ):
            for record, pk in zip(records, writer.reserve(model, len(records)), strict=True):
                record.pk = pk
        if chunk.new_heads:
            Household.objects.bulk_update(
                [Household(pk=hh.pk, head_id=hh.head.pk) for hh in chunk.new_heads], ["head"]
            )
        writes = [
            self._write_houses(chunk.new_houses, now),
            self._write_households(chunk.new_households, now),
        ]

        def write(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
            writes.append(partial(writer.insert, model, columns, rows))

        living = Person.Status.LIVING.value
        write(
            Person,
            ("id", "id_type", "id_number", "id_digest", "name", "former_name", "sex",
             "birth_date", "ethnicity", "native_place", "marital_status", "political_status",
             "education", "religion", "occupation", "employer", "phone", "other_phone",
             "population_type", "registered_address", "current_address", "is_separated",
             "status", "grid_id", "house_id", "household_id", "relation_to_head", "created_at",
             "updated_at"),
            (
                (p.pk, c["id_type"], c["id_number"], p.digest, c["name"], c.get("former_name", ""),
                 c.get("sex", ""), c.get("birth_date"), c.get("ethnicity", ""),
                 c.get("native_place", ""), c.get("marital_status", ""),
                 c.get("political_status", ""), c.get("education", ""), c.get("religion", ""),
                 c.get("occupation", ""), c.get("employer", ""), c.get("phone", ""),
                 c.get("other_phone", ""), c["population_type"], c.get("registered_address", ""),
                 c.get("current_address", ""), c.get("is_separated", False), living,
                 p.house.grid_id if p.house else p.household.grid_id,
                 p.house.pk if p.house else None, p.household.pk if p.household else None,
                 p.relation if p.household else "", now, now)
                for p in good
                for c in (p.cleaned,)
            ),
        )  # fmt: skip
        write(
            Person.care_tags.through,
            ("person_id", "caretag_id"),
            ((p.pk, tag.pk) for p in good for tag in p.tags),
        )
        write(
            Residence,
            ("person_id", "house_id", "started_on"),
            ((p.pk, p.house.pk, p.on) for p in good if p.house is not None),
        )
        write(
            Membership,
            ("person_id", "household_id", "relation", "started_on"),
            ((p.pk, p.household.pk, p.relation, p.on) for p in good if p.household is not None),
        )
        move_in = LifeEvent.Kind.MOVE_IN.value
        write(
            LifeEvent,
            ("person_id", "kind", "occurred_on", "household_id", "house_id", "note", "actor_id",
             "recorded_at"),
            (
                (p.pk, move_in, p.on, p.household.pk if p.household else None,
                 p.house.pk if p.house else None, "", self.actor_id, now)
                for p in good
            ),
        )  # fmt: skip
        # register_person's audit entry: every person field is given, so they are all named.
        fields = ",".join(sorted(registry.PERSON_FIELDS))[:300]
        create = AuditEntry.Action.CREATE.value
        write(
            AuditEntry,
            ("actor_id", "action", "model", "object_id", "fields", "detail", "at"),
            ((self.actor_id, create, "Person", p.pk, fields, "", now) for p in good),
        )
        return writes


# The tables an import writes.
_WRITTEN = (
    Building, House, Household, Person, Person.care_tags.through, Residence, Membership,
    LifeEvent, AuditEntry,
)  # fmt: skip


def _run_all(writes) -> None:
    for write in writes:
        write()


def _defaults(model, *names: str) -> dict:
    """The default values of some fields of a model, as a record created without them has."""
    return {name: model._meta.get_field(name).get_default() for name in names}


def _values(given: dict | None, defaults: dict) -> list:
    """Values for the fields of `defaults`: as given, else the default."""
    given = given or {}
    return [given.get(name, default) for name, default in defaults.items()]


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
    file_name: str = "",
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import tables from open_tables() or read_tables() into `area` (see the module docstring).

    `actor` must be allowed to edit the area's registry (None: a command-line import by the
    operator). Row problems are in the report; `progress(done, total)` follows every row (called
    for each row of a chunk once the chunk is done; `total` is the tables' size hint until the
    rows outnumber it). The IMPORT audit entry names `file_name` when given.
    """
    if actor is not None and not policies.can_edit_registry(actor, area):
        raise PermissionDenied(
            _("You may not change the registry of %(area)s.") % {"area": area.name}
        )
    importer = Importer(area=area, actor=actor, mode=mode, chunk_rows=chunk_rows)
    with transaction.atomic():
        report = importer.run(tables, progress=progress)
        detail = f"area={area.code} {report.summary()}"
        registry.audit(
            actor,
            AuditEntry.Action.IMPORT,
            audit_object if audit_object is not None else area,
            fields=[table.kind for table in tables],
            detail=f"{detail} file={file_name}" if file_name else detail,
        )
    return report


def import_file(source, *, area: Area, actor, kind: str = Kind.AUTO, **options):
    """open_tables() then import_tables(): `source` is the file's content (bytes), a path or a
    binary file. Raises ImportFileError for a file that cannot be imported."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    with open_tables(source, kind=kind) as tables:
        return import_tables(tables, area=area, actor=actor, **options)


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
        handle = job.file.open("rb")
    except (OSError, ValueError):
        return _fail(job, [RowError(0, "file", _("The uploaded file is missing."))])
    key = _progress_key(job.pk)
    try:
        # The file is read as the rows are imported, never whole.
        with handle, open_tables(handle, kind=job.kind) as tables:
            outcome = _run_job(job, tables, key, progress)
    except ImportFileError as exc:
        outcome = exc.errors
    finally:
        shared_cache.delete(key)
    if isinstance(outcome, ImportJob):
        return outcome  # another worker had finished it
    if outcome:
        return _fail(job, outcome)
    _discard_file(job)
    job.refresh_from_db()
    return job


def _run_job(job: ImportJob, tables: list[Table], key: str, progress) -> list | ImportJob | None:
    """Import the job's tables: None when done, the errors that failed it, or the job as
    another worker finished it."""
    total = sum(table.size_hint for table in tables)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total, processed_rows=0)
    step = max(1, total // 100)

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
                file_name=job.file_name,
            )
            _finish(job, report)
    except PermissionDenied as exc:
        return [RowError(0, "area", str(exc))]
    except ImportFileError:
        raise  # a line of the file found unreadable: the file's errors, nothing written
    except Exception as exc:
        # The type only: the message of an error raised on a row could quote its values.
        logger.error("import job %s failed: %s", job.pk, type(exc).__name__)
        message = _("The import stopped on an unexpected error; nothing was written.")
        return [RowError(0, "", message)]
    return None


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
