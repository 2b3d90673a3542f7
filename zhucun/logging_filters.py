"""Keep resident ID numbers and mobile numbers out of the logs (SPEC.md: ID numbers never in logs), and write
each record as one JSON object in production.

Attach `MaskPersonalDataFilter` to a handler: it masks the formatted message (so the arguments too,
whatever their type) and any traceback text before the handler's formatter sees the record.
`JsonFormatter` then writes what the filter left, so a log collector never sees the unmasked text either.
"""

import datetime
import json
import logging
import re

# An 18-character ID number not glued to other digits; the last character may be a check X.
_ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9])")
# A mainland mobile number, alone or right after a +86 / 86 country code.
_MOBILE = re.compile(r"(?:(?<![0-9])|(?<=86))(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask_personal_data(text: str) -> str:
    """5401**********1234 for ID numbers, 138****1234 for mobile numbers (ID numbers first, so the
    digits inside an ID number are never read as a phone)."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites the record in place, so every handler after this one sees the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string: mask what there is rather than drop the record.
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is written as a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One line per record: time (ISO 8601 with offset), level, logger, message, process, then `extra=` fields and
    the traceback. Values that are not JSON are written as their str(), masked like the message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else mask_personal_data(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def logging_config(
    log_format: str,
    *,
    root_level: str | None = None,
    console_loggers: tuple[str, ...] = (),
    levels: dict[str, str] | None = None,
) -> dict:
    """The `logging.config.dictConfig` dict shared by Django's LOGGING (zhucun/settings.py) and gunicorn's
    logconfig_dict (scripts/gunicorn.conf.py): one console handler on stdout, `log_format` "json" or "plain",
    personal data masked before it writes.

    root_level: the root logger writes to the console at this level (None: the root logger is left alone).
    console_loggers: loggers that write to the console themselves at INFO and do not propagate.
    levels: a level for other loggers, which keep propagating to the root's handler.
    """
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        # Logs never carry resident ID numbers or mobile numbers (PIPL): masked before any handler writes.
        "filters": {"mask_personal_data": {"()": "zhucun.logging_filters.MaskPersonalDataFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "zhucun.logging_filters.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
                "filters": ["mask_personal_data"],
            }
        },
        "loggers": {name: {"level": level} for name, level in (levels or {}).items()},
    }
    if root_level is not None:
        config["root"] = {"handlers": ["console"], "level": root_level}
    for name in console_loggers:
        config["loggers"][name] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return config
