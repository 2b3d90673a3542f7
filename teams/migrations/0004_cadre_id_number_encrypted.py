"""Resident ID numbers encrypted at rest, with a keyed hash for uniqueness and lookup (teams/fields.py)."""

import teams.fields
import teams.validators
from django.db import migrations


def _rewrite(schema_editor, transform) -> None:
    """Rewrites id_number (and its hash) of every row of the cadre table and its history, in SQL batches."""
    from teams.fields import id_number_hash

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for table in ("teams_cadre", "teams_historicalcadre"):
        key = "id" if table == "teams_cadre" else "history_id"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {quote(key)}, id_number FROM {quote(table)}")  # noqa: S608 (our table names)
            rows = cursor.fetchall()
            updates = []
            for pk, stored in rows:
                new = transform(stored or "")
                if new != stored:
                    updates.append((new, id_number_hash(transform_plain(stored or "")) or None, pk))
            cursor.executemany(
                f"UPDATE {quote(table)} SET id_number = %s, id_number_hash = %s WHERE {quote(key)} = %s",  # noqa: S608
                updates,
            )


def transform_plain(stored: str) -> str:
    from teams.fields import decrypt

    return decrypt(stored) if stored else stored


def encrypt_rows(apps, schema_editor) -> None:
    from teams.fields import TOKEN_PREFIX, encrypt

    _rewrite(schema_editor, lambda stored: stored if not stored or stored.startswith(TOKEN_PREFIX) else encrypt(stored))


def decrypt_rows(apps, schema_editor) -> None:
    _rewrite(schema_editor, transform_plain)



class Migration(migrations.Migration):

    dependencies = [
        ('teams', '0003_cadre_area_fill'),
    ]

    operations = [
        migrations.AddField(
            model_name='cadre',
            name='id_number_hash',
            field=teams.fields.KeyedHashField(error_messages={'unique': '该身份证号已登记。'}, null=True, source='id_number', unique=True, verbose_name='身份证号索引'),
        ),
        migrations.AddField(
            model_name='historicalcadre',
            name='id_number_hash',
            field=teams.fields.KeyedHashField(db_index=True, error_messages={'unique': '该身份证号已登记。'}, null=True, source='id_number', verbose_name='身份证号索引'),
        ),
        migrations.AlterField(
            model_name='cadre',
            name='id_number',
            field=teams.fields.EncryptedIdNumberField(hash_field='id_number_hash', max_length=18, validators=[teams.validators.validate_id_number], verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='historicalcadre',
            name='id_number',
            field=teams.fields.EncryptedIdNumberField(hash_field='id_number_hash', max_length=18, validators=[teams.validators.validate_id_number], verbose_name='身份证号'),
        ),
        # Existing rows: the plain number becomes a Fernet token and its keyed hash is filled.
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
