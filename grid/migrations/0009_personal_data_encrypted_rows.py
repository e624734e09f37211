"""Encrypt the personal fields of the rows written before 0008 made them EncryptedCharFields.

Outside one long transaction (atomic = False): grid/crypto.reencrypt_model commits every batch
of 2,000 rows, so a large registry is not locked for the whole upgrade, and an interrupted run
resumes where it stopped (encrypted rows no longer match). Until it has finished the application
reads the remaining plain values as they are.
"""

from django.db import migrations

from grid.crypto import reencrypt_model


def encrypt_rows(apps, schema_editor):
    for name in ("House", "Person"):
        reencrypt_model(apps.get_model("grid", name), connection=schema_editor.connection)


def decrypt_rows(apps, schema_editor):
    """Back to plain values, which 0008's way back needs (its columns were 30 characters)."""
    for name in ("House", "Person"):
        reencrypt_model(
            apps.get_model("grid", name), connection=schema_editor.connection, to_plain=True
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("grid", "0008_personal_data_encrypted"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=True),
    ]
