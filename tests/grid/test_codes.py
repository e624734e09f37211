"""The national code tables: codes as the standards define them, and label lookups."""

import pytest

from grid import codes
from grid.codes import (
    EDUCATION,
    ETHNICITY,
    ETHNICITY_LETTER_CODES,
    MARITAL_STATUS,
    POLITICAL_STATUS,
    RELATION_TO_HEAD,
    RELIGION,
    SEX,
    TABLES,
    Code,
    label,
)

CODE_WIDTH = {
    "sex": 1,
    "marital_status": 2,
    "ethnicity": 2,
    "political_status": 2,
    "education": 2,
    "relation_to_head": 2,
    "religion": 2,
}


def codes_of(table: tuple[Code, ...]) -> list[str]:
    return [entry.code for entry in table]


def test_tables_names_every_table_the_registry_uses():
    assert TABLES == {
        "sex": SEX,
        "marital_status": MARITAL_STATUS,
        "ethnicity": ETHNICITY,
        "political_status": POLITICAL_STATUS,
        "education": EDUCATION,
        "relation_to_head": RELATION_TO_HEAD,
        "religion": RELIGION,
    }


@pytest.mark.parametrize("name", TABLES)
def test_each_table_has_unique_fixed_width_digit_codes_in_ascending_order(name):
    table_codes = codes_of(TABLES[name])

    assert all(code.isdigit() and len(code) == CODE_WIDTH[name] for code in table_codes)
    assert table_codes == sorted(set(table_codes))


@pytest.mark.parametrize("name", TABLES)
def test_each_entry_is_a_code_with_a_chinese_and_an_english_label(name):
    for entry in TABLES[name]:
        assert isinstance(entry, tuple)
        assert len(entry) == 3
        _, zh, en = entry
        assert zh
        assert en
        assert en.isascii()
        assert not zh.isascii()


def test_sex_follows_gb_t_2261_1():
    assert [(e.code, e.zh) for e in SEX] == [
        ("0", "未知的性别"),
        ("1", "男性"),
        ("2", "女性"),
        ("9", "未说明的性别"),
    ]


def test_marital_status_follows_gb_t_2261_2():
    assert codes_of(MARITAL_STATUS) == ["10", "20", "21", "22", "23", "30", "40", "90"]


def test_ethnicity_has_the_56_nationalities_in_order_and_the_two_extra_codes():
    assert codes_of(ETHNICITY) == [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]
    assert len({entry.zh for entry in ETHNICITY}) == 58


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("01", "汉族", "Han"),
        ("04", "藏族", "Tibetan"),
        ("08", "壮族", "Zhuang"),
        ("10", "朝鲜族", "Korean"),
        ("11", "满族", "Manchu"),
        ("44", "俄罗斯族", "Russian"),
        ("56", "基诺族", "Jino"),
        ("98", "外国血统中国籍人士", "Chinese citizen of foreign origin"),
    ],
)
def test_ethnicity_codes_name_the_right_nationality(code, zh, en):
    assert label("ethnicity", code) == zh
    assert label("ethnicity", code, language="en") == en


def test_every_nationality_has_a_unique_two_letter_code():
    assert list(ETHNICITY_LETTER_CODES) == [f"{n:02d}" for n in range(1, 57)]
    letters = list(ETHNICITY_LETTER_CODES.values())
    assert all(len(code) == 2 and code.isupper() for code in letters)
    assert len(set(letters)) == 56


def test_political_status_runs_from_party_member_to_the_masses():
    assert codes_of(POLITICAL_STATUS) == [f"{n:02d}" for n in range(1, 14)]
    assert label("political_status", "01") == "中共党员"
    assert label("political_status", "03") == "共青团员"
    assert label("political_status", "13") == "群众"


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("10", "研究生教育"),
        ("11", "博士研究生毕业"),
        ("14", "硕士研究生毕业"),
        ("20", "大学本科教育"),
        ("30", "大学专科教育"),
        ("40", "中等职业教育"),
        ("60", "普通高级中学教育"),
        ("70", "初级中学教育"),
        ("80", "小学教育"),
        ("90", "其他"),
    ],
)
def test_education_has_the_main_levels_of_gb_t_4658(code, zh):
    assert label("education", code) == zh


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("01", "本人"),
        ("02", "户主"),
        ("10", "配偶"),
        ("20", "子"),
        ("21", "独生子"),
        ("30", "女"),
        ("40", "孙子、孙女或外孙子、外孙女"),
        ("50", "父母"),
        ("51", "父亲"),
        ("52", "母亲"),
        ("60", "祖父母或外祖父母"),
        ("70", "兄弟姐妹"),
        ("80", "其他"),
        ("97", "其他亲属"),
        ("99", "非亲属"),
    ],
)
def test_relation_to_head_follows_gb_t_4761(code, zh):
    assert label("relation_to_head", code) == zh


def test_relation_to_head_has_every_group_of_the_standard():
    groups = {"10", "20", "30", "40", "50", "60", "70", "80"}

    assert len(RELATION_TO_HEAD) >= 25
    assert groups <= set(codes_of(RELATION_TO_HEAD))


def test_religion_follows_ga_214_12():
    assert [(e.code, e.zh) for e in RELIGION] == [
        ("00", "无宗教信仰"),
        ("10", "佛教"),
        ("20", "喇嘛教"),
        ("30", "道教"),
        ("40", "天主教"),
        ("50", "基督教"),
        ("60", "东正教"),
        ("70", "伊斯兰教"),
        ("99", "其他"),
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "女性"),
        ("zh-Hans", "女性"),
        ("zh-cn", "女性"),
        ("en", "Female"),
        ("en-us", "Female"),
    ],
)
def test_label_speaks_chinese_or_english(language, expected):
    assert label("sex", "2", language=language) == expected


def test_label_is_chinese_by_default():
    assert label("marital_status", "20") == "已婚"


@pytest.mark.parametrize("code", ["", None])
def test_label_of_a_blank_code_is_blank(code):
    assert label("religion", code) == ""


def test_label_of_an_unknown_code_shows_the_code_itself():
    assert label("ethnicity", "57") == "57"


def test_label_of_an_unknown_table_is_a_programming_error():
    with pytest.raises(KeyError):
        label("blood_type", "1")


def test_label_in_an_unknown_language_is_a_programming_error():
    with pytest.raises(ValueError, match="fr"):
        label("sex", "1", language="fr")


def test_the_module_defines_no_table_outside_tables():
    constants = {
        name
        for name, value in vars(codes).items()
        if name.isupper() and isinstance(value, tuple) and value and isinstance(value[0], Code)
    }

    assert constants == {name.upper() for name in TABLES}
