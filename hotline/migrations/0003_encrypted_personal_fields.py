"""Encrypt a caller's name and phone at rest (grid/crypto.py): the columns become text, then the rows
written before are encrypted in batches of 2,000, each committed (atomic = False), so a stopped
upgrade resumes where it stopped. Plain values read as they are meanwhile."""

import grid.crypto
from django.db import migrations

from grid.crypto import reencrypt_model


def encrypt_rows(apps, schema_editor):
    reencrypt_model(apps.get_model("hotline", "WorkOrder"), connection=schema_editor.connection)


def decrypt_rows(apps, schema_editor):
    reencrypt_model(
        apps.get_model("hotline", "WorkOrder"), connection=schema_editor.connection, to_plain=True
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('hotline', '0002_deadline_changes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='workorder',
            name='caller_name',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=60, verbose_name="caller's name"),
        ),
        migrations.AlterField(
            model_name='workorder',
            name='caller_phone',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=30, verbose_name="caller's phone"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=True),
    ]
