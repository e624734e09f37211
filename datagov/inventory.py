"""What the catalogue says about each dataset by default: plain data, no database.

`DATASETS` lists the models the catalogue describes, in the order the page shows them, each with
its Chinese and English name, standard, update frequency, sharing class and the reason for it.
Fields are taken from the models themselves (datagov/catalogue.py); `FIELDS` adds what a field
needs beyond its verbose name (its code table and standard, a class other than its dataset's).
Personal data the Personal Information Protection Law calls sensitive (ID numbers, religion) and
contact data (phones) is 不共享 wherever it is: `field_default` finds it by name, so a new phone
field of any model is not shared until someone decides otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

NONE, ON_REQUEST, OPEN = "none", "on_request", "open"
REALTIME, HOURLY, DAILY, AS_NEEDED = "realtime", "hourly", "daily", "as_needed"


class DatasetSpec(NamedTuple):
    model: str  # app_label.ModelName
    name: str
    name_en: str
    standard: str
    frequency: str
    sharing_class: str
    reason: str


class FieldSpec(NamedTuple):
    sharing_class: str | None = None  # None: the dataset's class
    reason: str = ""
    code_table: str = ""
    standard: str = ""


OPEN_GEOGRAPHY = "行政区划、网格代码与边界属公共地理信息，可普遍共享"
OPEN_AGGREGATE = "汇总统计数据，不含个人信息，可普遍共享"
OPEN_REFERENCE = "代码表与目录类参考数据，不含个人信息，可普遍共享"
PERSONAL = "个人信息，依《个人信息保护法》仅在履职需要时按需共享"
PERSONAL_ADDRESS = "含住址、房屋等可识别到户的信息，按需共享"
CASE_DETAIL = "案件明细含地址、描述和当事人，按需共享；汇总数据见案件统计"
STAFF = "工作人员与工作记录，按需共享"

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("grid.Area", "行政区划与网格", "Areas and grid boundaries",
                "GB/T 2260 行政区划代码; GB/T 30428 网格划分", AS_NEEDED, OPEN, OPEN_GEOGRAPHY),
    DatasetSpec("grid.Department", "职能部门", "Departments", "", AS_NEEDED, OPEN, OPEN_REFERENCE),
    DatasetSpec("grid.CodeItem", "国家标准代码表", "National code tables",
                "GB/T 2261, GB/T 3304, GB/T 4658, GB/T 4761, GB/T 4762, GA 214.12",
                AS_NEEDED, OPEN, OPEN_REFERENCE),
    DatasetSpec("grid.CareTag", "关爱对象类别", "Care tags", "", AS_NEEDED, OPEN, OPEN_REFERENCE),
    DatasetSpec("grid.Building", "楼栋", "Buildings", "GB/T 31000-2015 房屋数据项", REALTIME,
                ON_REQUEST, PERSONAL_ADDRESS),
    DatasetSpec("grid.House", "房屋", "Houses", "GB/T 31000-2015 房屋数据项", REALTIME,
                ON_REQUEST, PERSONAL_ADDRESS),
    DatasetSpec("grid.Household", "户", "Households", "GB/T 31000-2015 人口数据项", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("grid.Person", "实有人口", "Persons", "GB/T 31000-2015 人口数据项", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("grid.Membership", "户成员关系", "Household memberships", "GB/T 4761-2008",
                REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("grid.Residence", "居住记录", "Residences", "GB/T 31000-2015", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("grid.LifeEvent", "人口变动记录", "Life events", "GB/T 31000-2015", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("cases.Category", "事件分类", "Case categories", "GB/T 30428.2 部件和事件分类",
                AS_NEEDED, OPEN, OPEN_REFERENCE),
    DatasetSpec("cases.Case", "网格事件", "Cases", "GB/T 30428; GB/T 31000-2015 事件数据项",
                REALTIME, ON_REQUEST, CASE_DETAIL),
    DatasetSpec("cases.CaseEvent", "事件处置过程", "Case history", "GB/T 30428", REALTIME,
                ON_REQUEST, CASE_DETAIL),
    DatasetSpec("cases.Dispatch", "派遣记录", "Dispatches", "GB/T 30428", REALTIME, ON_REQUEST,
                CASE_DETAIL),
    DatasetSpec("cases.Supervision", "督办记录", "Supervisions", "", REALTIME, ON_REQUEST,
                CASE_DETAIL),
    DatasetSpec("cases.Callback", "回访记录", "Callbacks", "", REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("cases.AreaRollup", "案件统计（按区域）", "Case statistics by area", "GB/T 30428.3",
                REALTIME, OPEN, OPEN_AGGREGATE),
    DatasetSpec("cases.HandlingRollup", "处置时长统计", "Handling time statistics", "GB/T 30428.3",
                REALTIME, OPEN, OPEN_AGGREGATE),
    DatasetSpec("cases.DepartmentRollup", "部门办理统计", "Department statistics", "GB/T 30428.3",
                REALTIME, OPEN, OPEN_AGGREGATE),
    DatasetSpec("cases.WorkerRollup", "网格员工作量统计", "Grid worker statistics", "",
                REALTIME, ON_REQUEST, STAFF),
    DatasetSpec("community.Service", "社区服务事项", "Community services", "", AS_NEEDED, OPEN,
                OPEN_REFERENCE),
    DatasetSpec("community.ServiceRequest", "社区服务申请", "Community service requests", "",
                REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("community.ServiceRequestEvent", "服务办理过程", "Service request history", "",
                REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("community.CareVisit", "关爱走访记录", "Care visits", "", REALTIME, ON_REQUEST,
                PERSONAL),
    DatasetSpec("party.Organisation", "党组织", "Party organisations", "", AS_NEEDED, OPEN,
                "党组织设置属公开信息，可普遍共享"),
    DatasetSpec("party.Member", "党员", "Party members", "", REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("party.MemberEvent", "党员组织关系变动", "Party member events", "", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("party.HouseholdLink", "党员联系户", "Linked households", "", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("party.Visit", "党员走访记录", "Party visits", "", REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("party.Activity", "党建活动", "Party activities", "", REALTIME, ON_REQUEST, STAFF),
    DatasetSpec("open311.Open311Request", "Open311 诉求", "Open311 requests",
                "Open311 GeoReport v2", REALTIME, ON_REQUEST, PERSONAL),
    DatasetSpec("hotline.CategoryMap", "12345 热线分类对照", "Hotline category mapping", "",
                AS_NEEDED, OPEN, OPEN_REFERENCE),
    DatasetSpec("hotline.WorkOrder", "12345 热线工单", "Hotline work orders", "", REALTIME,
                ON_REQUEST, PERSONAL),
    DatasetSpec("hotline.Reply", "热线工单回复", "Hotline replies", "", REALTIME, ON_REQUEST,
                CASE_DETAIL),
    DatasetSpec("datagov.PopulationCount", "人口统计（按网格、类型、年龄段）",
                "Population statistics by grid, type and age band", "GB/T 31000-2015", HOURLY,
                OPEN, OPEN_AGGREGATE),
)  # fmt: skip

SENSITIVE = "敏感个人信息（《个人信息保护法》第二十八条），不共享"
CONTACT = "个人联系方式，不共享；需联系当事人时经授权查看"
ID_DIGEST = "身份证号的密钥摘要，仅供本系统内精确查找，不共享"

# Code tables (grid/codes.py) and the standards that define them.
CODE_TABLE_STANDARDS = {
    "sex": "GB/T 2261.1-2003",
    "marital_status": "GB/T 2261.2-2003",
    "ethnicity": "GB/T 3304-1991",
    "political_status": "GB/T 4762-1984",
    "education": "GB/T 4658-2006",
    "relation_to_head": "GB/T 4761-2008",
    "religion": "GA 214.12-2004",
}


def _coded(table: str, sharing_class: str | None = None, reason: str = "") -> FieldSpec:
    return FieldSpec(sharing_class, reason, table, CODE_TABLE_STANDARDS[table])


# "dataset key.field" → what it needs beyond the model's own description.
FIELDS: dict[str, FieldSpec] = {
    "grid.area.code": FieldSpec(standard="GB/T 2260; GB/T 10114"),
    "grid.person.id_number": FieldSpec(NONE, SENSITIVE, standard="GB 11643-1999"),
    "grid.person.id_digest": FieldSpec(NONE, ID_DIGEST),
    "grid.person.sex": _coded("sex"),
    "grid.person.marital_status": _coded("marital_status"),
    "grid.person.ethnicity": _coded("ethnicity"),
    "grid.person.political_status": _coded("political_status"),
    "grid.person.education": _coded("education"),
    "grid.person.religion": _coded("religion", NONE, SENSITIVE),
    "grid.person.relation_to_head": _coded("relation_to_head"),
    "grid.person.native_place": FieldSpec(standard="GB/T 2260"),
    "grid.membership.relation": _coded("relation_to_head"),
    "hotline.workorder.caller_name": FieldSpec(NONE, CONTACT),
    "open311.open311request.email": FieldSpec(NONE, CONTACT),
    "open311.open311request.device_id": FieldSpec(NONE, CONTACT),
    "open311.open311request.account_id": FieldSpec(NONE, CONTACT),
    "grid.codeitem.table": FieldSpec(
        standard="GB/T 2261.1, 2261.2, 3304, 4658, 4761, 4762; GA 214.12"
    ),
}


def field_default(dataset_key: str, field_name: str, dataset_class: str) -> FieldSpec:
    """The default description of one field: FIELDS where it says so; ID numbers, religion and
    phones 不共享 wherever they are; otherwise the dataset's class and reason."""
    spec = FIELDS.get(f"{dataset_key}.{field_name}")
    if spec is None:
        if field_name.endswith("phone") or field_name.endswith("id_number"):
            spec = FieldSpec(NONE, CONTACT if field_name.endswith("phone") else SENSITIVE)
        elif field_name == "religion":
            spec = FieldSpec(NONE, SENSITIVE)
        else:
            spec = FieldSpec()
    if spec.sharing_class is None:
        spec = spec._replace(sharing_class=dataset_class)
    return spec
