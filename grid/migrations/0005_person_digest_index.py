# Hand-written: AlterField dropping db_index from id_digest would also drop the partial unique
# index of person_unique_id_among_living on PostgreSQL (Django's schema editor takes every
# plain btree index on the column, a conditional UniqueConstraint's included, for db_index's).
# So the state changes as makemigrations would write it, and the database drops exactly the two
# indexes db_index made (the `_like` twin exists on PostgreSQL only), then adds the plain one.

from django.db import migrations, models

DB_INDEX = "grid_person_id_digest_4a9bf26c"


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0004_importjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="id_digest",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        f'DROP INDEX IF EXISTS "{DB_INDEX}_like"',
                        f'DROP INDEX IF EXISTS "{DB_INDEX}"',
                    ],
                    # Back to db_index's plain index; its LIKE twin, which no lookup used, stays
                    # gone.
                    reverse_sql=[f'CREATE INDEX "{DB_INDEX}" ON "grid_person" ("id_digest")'],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["id_digest"], name="person_id_digest_idx"),
        ),
    ]
