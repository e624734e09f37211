"""Load the national code tables and the starting care tags as data."""

from django.db import migrations

CARE_TAGS = [
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("empty_nest", "空巢老人", "Empty-nest elderly"),
    ("disabled", "残疾人", "Disabled"),
    ("low_income", "低保", "Minimum living allowance"),
    ("extreme_poverty", "特困供养", "Extreme-poverty support"),
    ("entitled", "优抚对象", "Entitled group (veterans, martyrs' families)"),
    ("key_youth", "重点青少年", "Youth needing attention"),
    ("left_behind_child", "留守儿童", "Left-behind child"),
    ("community_correction", "社区矫正对象", "Under community correction"),
    ("released_prisoner", "刑满释放人员", "Released prisoner"),
    ("drug_rehab", "社区戒毒康复人员", "In community drug rehabilitation"),
    ("mental_disorder", "严重精神障碍患者", "Severe mental disorder"),
]


def load(apps, schema_editor):
    from grid.codes import TABLES

    CodeItem = apps.get_model("grid", "CodeItem")
    CareTag = apps.get_model("grid", "CareTag")
    CodeItem.objects.bulk_create(
        [
            CodeItem(table=table, code=item[0], label_zh=item[1], label_en=item[2], position=i)
            for table, items in TABLES.items()
            for i, item in enumerate(items)
        ],
        ignore_conflicts=True,
    )
    CareTag.objects.bulk_create(
        [
            CareTag(code=code, name=name, name_en=name_en, position=i)
            for i, (code, name, name_en) in enumerate(CARE_TAGS)
        ],
        ignore_conflicts=True,
    )


def unload(apps, schema_editor):
    apps.get_model("grid", "CodeItem").objects.all().delete()
    apps.get_model("grid", "CareTag").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("grid", "0002_registry")]

    operations = [migrations.RunPython(load, unload)]
