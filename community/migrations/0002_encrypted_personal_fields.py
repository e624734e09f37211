"""Encrypt a walk-in's phone at rest (grid/crypto.py): the columns become text, then the rows
written before are encrypted in batches of 2,000, each committed (atomic = False), so a stopped
upgrade resumes where it stopped. Plain values read as they are meanwhile."""

import grid.crypto
from django.db import migrations

from grid.crypto import reencrypt_model


def encrypt_rows(apps, schema_editor):
    reencrypt_model(apps.get_model("community", "ServiceRequest"), connection=schema_editor.connection)


def decrypt_rows(apps, schema_editor):
    reencrypt_model(
        apps.get_model("community", "ServiceRequest"), connection=schema_editor.connection, to_plain=True
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('community', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='servicerequest',
            name='walk_in_phone',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=30, verbose_name='walk-in phone'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=True),
    ]
