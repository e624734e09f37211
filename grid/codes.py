"""The national code tables the registry records people with: sex (GB/T 2261.1), marital status
(GB/T 2261.2), ethnicity (GB/T 3304), political status (GB/T 4762), education (GB/T 4658),
relation to the head of household (GB/T 4761) and religion (GA 214.12).

Plain data: each table is a tuple of ``Code(code, zh, en)`` entries in the standard's order,
with the standard's code and Chinese name and an English name. Codes are strings because the
standards define them as fixed-width character codes ("01", not 1). ``TABLES`` names them and
``label()`` looks one up. Nothing here touches Django or the database.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    """One entry of a code table."""

    code: str
    zh: str
    en: str


# GB/T 2261.1-2003 人的性别代码.
SEX: tuple[Code, ...] = (
    Code("0", "未知的性别", "Unknown"),
    Code("1", "男性", "Male"),
    Code("2", "女性", "Female"),
    Code("9", "未说明的性别", "Not stated"),
)

# GB/T 2261.2-2003 婚姻状况代码. 20 is the group; 21–23 say which marriage.
MARITAL_STATUS: tuple[Code, ...] = (
    Code("10", "未婚", "Never married"),
    Code("20", "已婚", "Married"),
    Code("21", "初婚", "First marriage"),
    Code("22", "再婚", "Remarried"),
    Code("23", "复婚", "Remarried to former spouse"),
    Code("30", "丧偶", "Widowed"),
    Code("40", "离婚", "Divorced"),
    Code("90", "未说明的婚姻状况", "Not stated"),
)

# GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码: the 56 nationalities, plus 97 and 98 as
# used on resident ID cards and in public-security data for people outside the 56.
ETHNICITY: tuple[Code, ...] = (
    Code("01", "汉族", "Han"),
    Code("02", "蒙古族", "Mongolian"),
    Code("03", "回族", "Hui"),
    Code("04", "藏族", "Tibetan"),
    Code("05", "维吾尔族", "Uyghur"),
    Code("06", "苗族", "Miao"),
    Code("07", "彝族", "Yi"),
    Code("08", "壮族", "Zhuang"),
    Code("09", "布依族", "Bouyei"),
    Code("10", "朝鲜族", "Korean"),
    Code("11", "满族", "Manchu"),
    Code("12", "侗族", "Dong"),
    Code("13", "瑶族", "Yao"),
    Code("14", "白族", "Bai"),
    Code("15", "土家族", "Tujia"),
    Code("16", "哈尼族", "Hani"),
    Code("17", "哈萨克族", "Kazakh"),
    Code("18", "傣族", "Dai"),
    Code("19", "黎族", "Li"),
    Code("20", "傈僳族", "Lisu"),
    Code("21", "佤族", "Va"),
    Code("22", "畲族", "She"),
    Code("23", "高山族", "Gaoshan"),
    Code("24", "拉祜族", "Lahu"),
    Code("25", "水族", "Shui"),
    Code("26", "东乡族", "Dongxiang"),
    Code("27", "纳西族", "Naxi"),
    Code("28", "景颇族", "Jingpo"),
    Code("29", "柯尔克孜族", "Kyrgyz"),
    Code("30", "土族", "Tu"),
    Code("31", "达斡尔族", "Daur"),
    Code("32", "仫佬族", "Mulam"),
    Code("33", "羌族", "Qiang"),
    Code("34", "布朗族", "Blang"),
    Code("35", "撒拉族", "Salar"),
    Code("36", "毛南族", "Maonan"),
    Code("37", "仡佬族", "Gelao"),
    Code("38", "锡伯族", "Xibe"),
    Code("39", "阿昌族", "Achang"),
    Code("40", "普米族", "Pumi"),
    Code("41", "塔吉克族", "Tajik"),
    Code("42", "怒族", "Nu"),
    Code("43", "乌孜别克族", "Uzbek"),
    Code("44", "俄罗斯族", "Russian"),
    Code("45", "鄂温克族", "Ewenki"),
    Code("46", "德昂族", "De'ang"),
    Code("47", "保安族", "Bonan"),
    Code("48", "裕固族", "Yugur"),
    Code("49", "京族", "Gin"),
    Code("50", "塔塔尔族", "Tatar"),
    Code("51", "独龙族", "Derung"),
    Code("52", "鄂伦春族", "Oroqen"),
    Code("53", "赫哲族", "Hezhen"),
    Code("54", "门巴族", "Monba"),
    Code("55", "珞巴族", "Lhoba"),
    Code("56", "基诺族", "Jino"),
    Code("97", "其他未识别民族", "Other (unidentified ethnic group)"),
    Code("98", "外国血统中国籍人士", "Chinese citizen of foreign origin"),
)

# GB/T 3304 also gives each of the 56 nationalities a two-letter romanised code.
ETHNICITY_LETTER_CODES: dict[str, str] = {
    "01": "HA", "02": "MG", "03": "HU", "04": "ZA", "05": "UG", "06": "MH", "07": "YI",
    "08": "ZH", "09": "BY", "10": "CS", "11": "MA", "12": "DO", "13": "YA", "14": "BA",
    "15": "TJ", "16": "HN", "17": "KZ", "18": "DA", "19": "LI", "20": "LS", "21": "VA",
    "22": "SH", "23": "GS", "24": "LH", "25": "SW", "26": "DX", "27": "NX", "28": "JP",
    "29": "KG", "30": "TU", "31": "DU", "32": "ML", "33": "QI", "34": "BL", "35": "SL",
    "36": "MN", "37": "GL", "38": "XB", "39": "AC", "40": "PM", "41": "TA", "42": "NU",
    "43": "UZ", "44": "RS", "45": "EW", "46": "DE", "47": "BN", "48": "YG", "49": "GI",
    "50": "TT", "51": "DR", "52": "OR", "53": "HZ", "54": "MB", "55": "LB", "56": "JN",
}  # fmt: skip

# GB/T 4762-1984 政治面貌代码, with the standard's short names (简称).
POLITICAL_STATUS: tuple[Code, ...] = (
    Code("01", "中共党员", "Member of the Communist Party of China"),
    Code("02", "中共预备党员", "Probationary member of the Communist Party of China"),
    Code("03", "共青团员", "Member of the Communist Youth League of China"),
    Code("04", "民革党员", "Member of the Revolutionary Committee of the Chinese Kuomintang"),
    Code("05", "民盟盟员", "Member of the China Democratic League"),
    Code("06", "民建会员", "Member of the China National Democratic Construction Association"),
    Code("07", "民进会员", "Member of the China Association for Promoting Democracy"),
    Code("08", "农工党党员", "Member of the Chinese Peasants' and Workers' Democratic Party"),
    Code("09", "致公党党员", "Member of the China Zhi Gong Party"),
    Code("10", "九三学社社员", "Member of the Jiusan Society"),
    Code("11", "台盟盟员", "Member of the Taiwan Democratic Self-Government League"),
    Code("12", "无党派人士", "Non-party personage"),
    Code("13", "群众", "Ordinary citizen (no political affiliation)"),
)

# GB/T 4658-2006 学历代码. Codes ending in 0 are the levels; the others say whether the person
# graduated (毕业), completed without graduating (结业) or left before completing (肄业).
EDUCATION: tuple[Code, ...] = (
    Code("10", "研究生教育", "Postgraduate education"),
    Code("11", "博士研究生毕业", "Doctoral programme, graduated"),
    Code("12", "博士研究生结业", "Doctoral programme, completed without graduating"),
    Code("13", "博士研究生肄业", "Doctoral programme, left before completing"),
    Code("14", "硕士研究生毕业", "Master's programme, graduated"),
    Code("15", "硕士研究生结业", "Master's programme, completed without graduating"),
    Code("16", "硕士研究生肄业", "Master's programme, left before completing"),
    Code("17", "研究生班毕业", "Postgraduate class, graduated"),
    Code("18", "研究生班结业", "Postgraduate class, completed without graduating"),
    Code("19", "研究生班肄业", "Postgraduate class, left before completing"),
    Code("20", "大学本科教育", "Undergraduate education"),
    Code("21", "大学本科毕业", "Undergraduate, graduated"),
    Code("22", "大学本科结业", "Undergraduate, completed without graduating"),
    Code("23", "大学本科肄业", "Undergraduate, left before completing"),
    Code("28", "大学普通班毕业", "University general class, graduated"),
    Code("30", "大学专科教育", "Junior college education"),
    Code("31", "大学专科毕业", "Junior college, graduated"),
    Code("32", "大学专科结业", "Junior college, completed without graduating"),
    Code("33", "大学专科肄业", "Junior college, left before completing"),
    Code("40", "中等职业教育", "Secondary vocational education"),
    Code("41", "中等专科毕业", "Secondary specialised school, graduated"),
    Code("42", "中等专科结业", "Secondary specialised school, completed without graduating"),
    Code("43", "中等专科肄业", "Secondary specialised school, left before completing"),
    Code("44", "职业高中毕业", "Vocational senior high school, graduated"),
    Code("45", "职业高中结业", "Vocational senior high school, completed without graduating"),
    Code("46", "职业高中肄业", "Vocational senior high school, left before completing"),
    Code("47", "技工学校毕业", "Technical school, graduated"),
    Code("48", "技工学校结业", "Technical school, completed without graduating"),
    Code("49", "技工学校肄业", "Technical school, left before completing"),
    Code("60", "普通高级中学教育", "General senior high school education"),
    Code("61", "普通高中毕业", "General senior high school, graduated"),
    Code("62", "普通高中结业", "General senior high school, completed without graduating"),
    Code("63", "普通高中肄业", "General senior high school, left before completing"),
    Code("70", "初级中学教育", "Junior high school education"),
    Code("71", "初中毕业", "Junior high school, graduated"),
    Code("73", "初中肄业", "Junior high school, left before completing"),
    Code("80", "小学教育", "Primary school education"),
    Code("81", "小学毕业", "Primary school, graduated"),
    Code("83", "小学肄业", "Primary school, left before completing"),
    Code("90", "其他", "Other"),
)

# GB/T 4761-2008 家庭关系代码, read as the relation of a household member to the head.
# 10, 20 … 80 head the groups (90 is 姑母, inside group 80, the other relatives); 99 is "not
# related".
RELATION_TO_HEAD: tuple[Code, ...] = (
    Code("01", "本人", "Self"),
    Code("02", "户主", "Head of household"),
    Code("10", "配偶", "Spouse"),
    Code("11", "夫", "Husband"),
    Code("12", "妻", "Wife"),
    Code("20", "子", "Son"),
    Code("21", "独生子", "Only son"),
    Code("22", "长子", "Eldest son"),
    Code("23", "次子", "Second son"),
    Code("24", "三子", "Third son"),
    Code("25", "四子", "Fourth son"),
    Code("26", "五子", "Fifth son"),
    Code("27", "养子或继子", "Adopted son or stepson"),
    Code("28", "女婿", "Son-in-law"),
    Code("29", "其他儿子", "Other son"),
    Code("30", "女", "Daughter"),
    Code("31", "独生女", "Only daughter"),
    Code("32", "长女", "Eldest daughter"),
    Code("33", "次女", "Second daughter"),
    Code("34", "三女", "Third daughter"),
    Code("35", "四女", "Fourth daughter"),
    Code("36", "五女", "Fifth daughter"),
    Code("37", "养女或继女", "Adopted daughter or stepdaughter"),
    Code("38", "儿媳", "Daughter-in-law"),
    Code("39", "其他女儿", "Other daughter"),
    Code("40", "孙子、孙女或外孙子、外孙女", "Grandchild"),
    Code("41", "孙子", "Grandson (son's son)"),
    Code("42", "孙女", "Granddaughter (son's daughter)"),
    Code("43", "外孙子", "Grandson (daughter's son)"),
    Code("44", "外孙女", "Granddaughter (daughter's daughter)"),
    Code("45", "孙媳妇或外孙媳妇", "Grandson's wife"),
    Code("46", "孙女婿或外孙女婿", "Granddaughter's husband"),
    Code("47", "曾孙子或外曾孙子", "Great-grandson"),
    Code("48", "曾孙女或外曾孙女", "Great-granddaughter"),
    Code("49", "其他孙子、孙女或外孙子、外孙女", "Other grandchild"),
    Code("50", "父母", "Parent"),
    Code("51", "父亲", "Father"),
    Code("52", "母亲", "Mother"),
    Code("53", "公公", "Father-in-law (husband's father)"),
    Code("54", "婆婆", "Mother-in-law (husband's mother)"),
    Code("55", "岳父", "Father-in-law (wife's father)"),
    Code("56", "岳母", "Mother-in-law (wife's mother)"),
    Code("57", "继父或养父", "Stepfather or adoptive father"),
    Code("58", "继母或养母", "Stepmother or adoptive mother"),
    Code("59", "其他父母关系", "Other parent"),
    Code("60", "祖父母或外祖父母", "Grandparent"),
    Code("61", "祖父", "Grandfather (father's father)"),
    Code("62", "祖母", "Grandmother (father's mother)"),
    Code("63", "外祖父", "Grandfather (mother's father)"),
    Code("64", "外祖母", "Grandmother (mother's mother)"),
    Code("65", "配偶的祖父母或外祖父母", "Spouse's grandparent"),
    Code("66", "曾祖父", "Great-grandfather"),
    Code("67", "曾祖母", "Great-grandmother"),
    Code("68", "配偶的曾祖父母或外曾祖父母", "Spouse's great-grandparent"),
    Code("69", "其他祖父母或外祖父母", "Other grandparent"),
    Code("70", "兄弟姐妹", "Sibling"),
    Code("71", "兄", "Elder brother"),
    Code("72", "嫂", "Elder brother's wife"),
    Code("73", "弟", "Younger brother"),
    Code("74", "弟媳", "Younger brother's wife"),
    Code("75", "姐姐", "Elder sister"),
    Code("76", "姐夫", "Elder sister's husband"),
    Code("77", "妹妹", "Younger sister"),
    Code("78", "妹夫", "Younger sister's husband"),
    Code("79", "其他兄弟姐妹", "Other sibling"),
    Code("80", "其他", "Other relative"),
    Code("81", "伯父", "Uncle (father's elder brother)"),
    Code("82", "伯母", "Aunt (wife of father's elder brother)"),
    Code("83", "叔父", "Uncle (father's younger brother)"),
    Code("84", "婶母", "Aunt (wife of father's younger brother)"),
    Code("85", "舅父", "Uncle (mother's brother)"),
    Code("86", "舅母", "Aunt (wife of mother's brother)"),
    Code("87", "姨夫", "Uncle (husband of mother's sister)"),
    Code("88", "姨母", "Aunt (mother's sister)"),
    Code("89", "姑父", "Uncle (husband of father's sister)"),
    Code("90", "姑母", "Aunt (father's sister)"),
    Code("91", "堂兄弟、堂姐妹", "Cousin (child of father's brother)"),
    Code("92", "表兄弟、表姐妹", "Cousin (other)"),
    Code("93", "侄子", "Nephew (brother's son)"),
    Code("94", "侄女", "Niece (brother's daughter)"),
    Code("95", "外甥", "Nephew (sister's son)"),
    Code("96", "外甥女", "Niece (sister's daughter)"),
    Code("97", "其他亲属", "Other relative (not listed)"),
    Code("99", "非亲属", "Not related"),
)

# GA 214.12-2004 常住人口管理信息规范 第12部分: 宗教信仰代码 — the public-security table that
# household-registration data uses; there is no GB/T code table for religion.
RELIGION: tuple[Code, ...] = (
    Code("00", "无宗教信仰", "No religious belief"),
    Code("10", "佛教", "Buddhism"),
    Code("20", "喇嘛教", "Tibetan Buddhism"),
    Code("30", "道教", "Taoism"),
    Code("40", "天主教", "Catholicism"),
    Code("50", "基督教", "Protestant Christianity"),
    Code("60", "东正教", "Eastern Orthodox Christianity"),
    Code("70", "伊斯兰教", "Islam"),
    Code("99", "其他", "Other"),
)

TABLES: dict[str, tuple[Code, ...]] = {
    "sex": SEX,
    "marital_status": MARITAL_STATUS,
    "ethnicity": ETHNICITY,
    "political_status": POLITICAL_STATUS,
    "education": EDUCATION,
    "relation_to_head": RELATION_TO_HEAD,
    "religion": RELIGION,
}

_BY_CODE: dict[str, dict[str, Code]] = {
    name: {entry.code: entry for entry in table} for name, table in TABLES.items()
}


def label(table_name: str, code: str | None, language: str = "zh-hans") -> str:
    """The name of ``code`` in the table ``table_name``, in Chinese ("zh…") or English ("en…").

    A blank code gives "" (the field was left empty); a code the table does not have is returned
    as it is, so bad data shows up instead of disappearing. An unknown table or language is a
    programming error and raises.
    """
    entries = _BY_CODE[table_name]
    tag = language.lower()
    if tag.startswith("zh"):
        field = "zh"
    elif tag.startswith("en"):
        field = "en"
    else:
        raise ValueError(f"no labels in language {language!r}")
    if not code:
        return ""
    entry = entries.get(code)
    return getattr(entry, field) if entry else code
