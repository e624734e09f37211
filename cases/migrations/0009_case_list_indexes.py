"""Indexes that serve the case lists newest first (a page is a range of one of them), the
statistics that let PostgreSQL see it can, and the removal of the two foreign-key indexes made
redundant (an index of Meta begins with each column).

On PostgreSQL the indexes are built CONCURRENTLY: filing and the sweeper go on writing while a
million cases are indexed. Hence a migration outside a transaction; a step that fails leaves
an INVALID index behind, which running the migration again does not repair: drop it first.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, a plain CREATE INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


def create_statistics(apps, schema_editor):
    # A case held at the grid level is in that grid, and its level is its holder's: without
    # knowing, PostgreSQL multiplies the three conditions of a grid worker's queue (grid, holder,
    # level), expects a few dozen rows, and sorts all the grid's open cases instead of reading
    # the first page from case_held_open_newest_idx. ANALYZE fills these statistics in.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS case_holder_grid_level (dependencies)"
            " ON holder_id, grid_id, level FROM cases_case"
        )


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS case_holder_grid_level")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0008_unread_counts"),
        ("grid", "0007_personal_data_allowances"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="case",
            index=models.Index(fields=["-reported_at", "-id"], name="case_newest_idx"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="case",
            index=models.Index(fields=["grid", "-reported_at", "-id"], name="case_grid_newest_idx"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    (
                        "status__in",
                        ("reported", "in_progress", "dispatched", "resolved", "suspended"),
                    )
                ),
                fields=["holder", "-reported_at", "-id"],
                name="case_held_open_newest_idx",
            ),
        ),
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
        # case_grid_newest_idx and case_holder_idx (holder, status) begin with these columns.
        migrations.AlterField(
            model_name="case",
            name="grid",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases_in_grid",
                to="grid.area",
                verbose_name="grid",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="holder",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases_held",
                to="grid.area",
                verbose_name="held by",
            ),
        ),
    ]
