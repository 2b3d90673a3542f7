"""Back up and restore the PostgreSQL database named by DATABASE_URL, with pg_dump / pg_restore.

    make backup                                   # → backups/zhucun-<database>-<YYYYmmdd-HHMMSS>.dump
    make restore FILE=backups/zhucun-….dump       # into DATABASE_URL (created if missing, emptied first)
    .venv/bin/python scripts/backup.py backup [--output PATH]
    .venv/bin/python scripts/backup.py restore PATH [--yes]

The dump is pg_dump's custom format (compressed, restorable table by table, version-independent within
PostgreSQL's rules). Restoring replaces what the target holds (`--clean --if-exists`, one transaction: a failed
restore leaves the target as it was); without `--yes` it asks first. Uploaded files and export files under
MEDIA_ROOT are not in the database: copy that directory alongside (the README says how). Encrypted ID numbers stay
encrypted in the dump; keep ZHUCUN_FIELD_KEYS and ZHUCUN_HASH_KEY (not in the dump) to read them after a restore.
"""

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def connection_of(url: str) -> tuple[dict[str, str], str]:
    """(environment for the pg_* tools, database name) from a postgres:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"DATABASE_URL 不是 PostgreSQL 地址（{parts.scheme or '未设置'}）：备份只支持 PostgreSQL。")
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": parts.hostname or "127.0.0.1",
            "PGPORT": str(parts.port or 5432),
            "PGUSER": unquote(parts.username or "postgres"),
        }
    )
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env, parts.path.lstrip("/")


def backup(url: str, output: Path | None = None) -> Path:
    env, database = connection_of(url)
    if output is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        output = ROOT / "backups" / f"zhucun-{database}-{stamp}.dump"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(output.suffix + ".partial")
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", database], env=env, check=True)
    partial.replace(output)  # a file named *.dump is always a finished dump
    return output


def restore(url: str, dump: Path) -> None:
    env, database = connection_of(url)
    if not dump.is_file():
        sys.exit(f"没有备份文件：{dump}")
    exists = subprocess.run(
        ["psql", "-tAc", "SELECT 1 FROM pg_database WHERE datname = current_database()", database],
        env=env,
        capture_output=True,
    )
    if exists.returncode != 0:
        subprocess.run(["createdb", database], env=env, check=True)
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={database}",
            str(dump),
        ],
        env=env,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("backup", help="pg_dump DATABASE_URL into a file")
    made.add_argument("--output", type=Path)
    back = commands.add_parser("restore", help="pg_restore a file into DATABASE_URL")
    back.add_argument("dump", type=Path)
    back.add_argument("--yes", action="store_true", help="do not ask before replacing the database's content")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.command == "backup":
        print(f"备份完成：{backup(url, args.output)}")
        return
    _, database = connection_of(url)
    if not args.yes and input(f"用 {args.dump} 替换数据库 {database} 的全部内容？输入 yes 继续：").strip() != "yes":
        sys.exit("已取消。")
    restore(url, args.dump)
    print(f"恢复完成：{args.dump} → {database}")


if __name__ == "__main__":
    main()
