import django.db.models.deletion
from django.db import migrations, models

# Seeded here rather than in the demo so a new installation offers them too; admins edit or
# deactivate them (cases/admin.py). Official Chinese wording, not UI text: not translated.
SEED = {
    "escalate": [
        "超出本级处置权限，需上级协调处理。",
        "涉及多个部门职责，需上级统筹协调。",
        "问题反复出现，本级多次处置无效。",
    ],
    "return_down": [
        "属本级职责范围，请依职责就地处置。",
        "信息不全，请补充现场照片和具体位置后重新上报。",
        "经核实问题较小，可在社区（网格）内解决。",
    ],
    "reject": [
        "重复上报，已有相同事件在办理中。",
        "经现场核实，反映的问题不存在。",
        "不属于网格化管理事项范围。",
    ],
    "suspend": [
        "需等待相关审批或资金落实后继续处置。",
        "涉及历史遗留问题，需长期协调。",
        "当事人暂时无法联系，待联系后继续处理。",
    ],
    "urge": [
        "已超过办理时限，请尽快处置并反馈结果。",
        "群众反映强烈，请加快办理进度。",
    ],
    "refuse": [
        "不属于本部门职责范围，请重新派遣。",
        "派遣信息不全，无法开展处置，请补充后重新派遣。",
        "应由其他部门牵头办理。",
    ],
}


def seed_phrases(apps, schema_editor):
    StockPhrase = apps.get_model("cases", "StockPhrase")
    StockPhrase.objects.bulk_create(
        StockPhrase(action=action, text=text, order=(number + 1) * 10)
        for action, texts in SEED.items()
        for number, text in enumerate(texts)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_case_source_open311_and_hotline_number'),
        ('grid', '0007_personal_data_allowances'),
    ]

    operations = [
        migrations.CreateModel(
            name='StockPhrase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('escalate', 'Escalate'), ('return_down', 'Return down'), ('reject', 'Do not register'), ('suspend', 'Suspend'), ('urge', 'Urge'), ('refuse', 'Refuse')], max_length=20, verbose_name='step')),
                ('text', models.TextField(max_length=500, verbose_name='text')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('area', models.ForeignKey(blank=True, help_text='Leave empty to offer the phrase in the whole district.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grid.area', verbose_name='area')),
            ],
            options={
                'verbose_name': 'stock phrase',
                'verbose_name_plural': 'stock phrases',
                'ordering': ['action', 'order', 'id'],
            },
        ),
        migrations.RunPython(seed_phrases, migrations.RunPython.noop),
    ]
