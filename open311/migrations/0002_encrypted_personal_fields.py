"""Encrypt a reporter's email, phone, device and account ids at rest (grid/crypto.py): the columns become text, then the rows
written before are encrypted in batches of 2,000, each committed (atomic = False), so a stopped
upgrade resumes where it stopped. Plain values read as they are meanwhile."""

import grid.crypto
from django.db import migrations

from grid.crypto import reencrypt_model


def encrypt_rows(apps, schema_editor):
    reencrypt_model(apps.get_model("open311", "Open311Request"), connection=schema_editor.connection)


def decrypt_rows(apps, schema_editor):
    reencrypt_model(
        apps.get_model("open311", "Open311Request"), connection=schema_editor.connection, to_plain=True
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('open311', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='open311request',
            name='account_id',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=100, verbose_name='account id'),
        ),
        migrations.AlterField(
            model_name='open311request',
            name='device_id',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=100, verbose_name='device id'),
        ),
        migrations.AlterField(
            model_name='open311request',
            name='email',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='open311request',
            name='phone',
            field=grid.crypto.EncryptedCharField(blank=True, max_length=30, verbose_name='phone'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=True),
    ]
