"""Re-encrypt every stored resident ID number with the newest key of ZHUCUN_FIELD_KEYS and recompute its keyed
hash with ZHUCUN_HASH_KEY (cadres and their change history).

Rotation: prepend the new key to ZHUCUN_FIELD_KEYS (keep the old ones after it), restart the app and workers,
run this command, then drop the old keys. Safe to run twice (a token already under the newest key is rewritten
with a fresh IV, nothing else changes) and safe while the app runs (each batch is one transaction).
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from teams.fields import decrypt, id_number_hash, rotate

TABLES = (("teams_cadre", "id"), ("teams_historicalcadre", "history_id"))
BATCH = 2000


class Command(BaseCommand):
    help = "用最新密钥重新加密身份证号并重算索引（更换 ZHUCUN_FIELD_KEYS / ZHUCUN_HASH_KEY 后运行）。"

    def handle(self, *args, **options):
        quote = connection.ops.quote_name
        for table, key in TABLES:
            done = 0
            last = 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {quote(key)}, id_number FROM {quote(table)} "  # noqa: S608 (our own table names)
                        f"WHERE {quote(key)} > %s ORDER BY {quote(key)} LIMIT %s",
                        [last, BATCH],
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    cursor.executemany(
                        f"UPDATE {quote(table)} SET id_number = %s, id_number_hash = %s WHERE {quote(key)} = %s",  # noqa: S608
                        [
                            (rotate(stored), id_number_hash(decrypt(stored)) or None, pk)
                            for pk, stored in rows
                            if stored
                        ],
                    )
                done += len(rows)
                last = rows[-1][0]
            self.stdout.write(f"{table}: {done} 行已用最新密钥重新加密。")
