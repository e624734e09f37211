"""Drop two indexes of grid_person that others already serve: person_house_idx, a second copy
of the house foreign key's own index, and the grid foreign key's index, the first column of
person_grid_status_idx (grid, status). Only the index goes: Django's AlterField would also drop
and re-add the foreign key, which re-checks every person under a lock."""

import django.db.models.deletion
from django.db import migrations, models

GRID_FK_INDEX = "grid_person_grid_id_17bd7136"  # Django's name for it, the same on every backend


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0005_person_digest_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="person_house_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="grid",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="persons",
                        to="grid.area",
                        verbose_name="grid",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {GRID_FK_INDEX}",
                    reverse_sql=f"CREATE INDEX {GRID_FK_INDEX} ON grid_person (grid_id)",
                ),
            ],
        ),
    ]
