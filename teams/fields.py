"""Personal data at rest: the resident ID number encrypted, with a keyed hash beside it for lookups.

Library: `cryptography` (the Python Cryptographic Authority's package, maintained, audited, shipped by every
Linux distribution). Its Fernet recipe is authenticated encryption (AES-128-CBC + HMAC-SHA256 with a random IV
and a timestamp) and MultiFernet decrypts with any of several keys while encrypting with the first, which is
exactly key rotation. We chose a twenty-line field over an encrypted-fields package because the packages we
looked at either pin old Django versions or hide the lookup problem: a random-IV ciphertext cannot be compared,
so uniqueness and lookup go through a second column, an HMAC-SHA256 of the normalised number under a separate
key (`ZHUCUN_HASH_KEY`): without that key the column cannot be brute-forced over the ~10^9 plausible numbers.

    Cadre.objects.filter(id_number="540103198501011234")     # compiled to id_number_hash = '<hmac>'
    Cadre.objects.filter(id_number__in=[...])                 # the same, for each number
    Cadre.objects.filter(id_number__startswith="5401")        # FieldError: ciphertext cannot be searched

Keys: `settings.ZHUCUN_FIELD_KEYS` (Fernet keys, newest first) and `settings.ZHUCUN_HASH_KEY`. Rotation:
prepend a new key to ZHUCUN_FIELD_KEYS, restart, run `manage.py rotate_field_keys`, then drop the old key.
"""

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In

from teams.validators import normalize_id_number

# Every Fernet token starts with the version byte 0x80, i.e. "gAAAAA" in URL-safe base64; a plain ID number
# (digits and X, 18 characters) never does. Rows written before the encryption migration are read as they are.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (not a password)


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("ZHUCUN_FIELD_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "ZHUCUN_FIELD_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated."
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ZHUCUN_FIELD_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        return token
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted value could not be decrypted with any key of ZHUCUN_FIELD_KEYS (was a key dropped?)."
        ) from None


def rotate(token: str) -> str:
    """The token re-encrypted with the newest key (a plain legacy value is encrypted)."""
    if not token.startswith(TOKEN_PREFIX):
        return encrypt(token) if token else token
    return fernet().rotate(token.encode()).decode()


def id_number_hash(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number under ZHUCUN_HASH_KEY; "" for no number."""
    value = normalize_id_number(value or "")
    if not value:
        return ""
    if not settings.ZHUCUN_HASH_KEY:
        raise ImproperlyConfigured("ZHUCUN_HASH_KEY is empty: set it to a random string of at least 32 characters.")
    return hmac.new(settings.ZHUCUN_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


class _HashedLookupMixin:
    """Turns `<encrypted field> = value` into `<hash column> = hmac(value)`."""

    def __init__(self, lhs, rhs):
        field = lhs.target if isinstance(lhs, Col) else lhs.output_field
        hash_field = field.model._meta.get_field(field.hash_field)
        if isinstance(lhs, Col):
            lhs = Col(lhs.alias, hash_field)
        else:  # pragma: no cover - only columns reach an encrypted field
            raise TypeError("Encrypted fields can only be compared as plain columns.")
        super().__init__(lhs, self.hash_rhs(rhs))


class HashedExact(_HashedLookupMixin, Exact):
    @staticmethod
    def hash_rhs(rhs):
        return id_number_hash(str(rhs)) if isinstance(rhs, str) else rhs


class HashedIExact(HashedExact):
    lookup_name = "iexact"


class HashedIn(_HashedLookupMixin, In):
    @staticmethod
    def hash_rhs(rhs):
        if isinstance(rhs, list | tuple | set | frozenset):
            return [id_number_hash(str(value)) for value in rhs]
        return rhs


class EncryptedIdNumberField(models.CharField):
    """A CharField (validated at its max_length, 18) stored as a Fernet token in a text column. `hash_field`
    names the sibling column (a `KeyedHashField`) that `exact`, `iexact` and `in` lookups compare."""

    _lookups = {"exact": HashedExact, "iexact": HashedIExact, "in": HashedIn, "isnull": models.lookups.IsNull}

    def __init__(self, *args, hash_field: str = "id_number_hash", **kwargs):
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def db_type(self, connection):
        return models.TextField().db_type(connection)

    def get_lookup(self, lookup_name):
        return self._lookups.get(lookup_name)

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or value.startswith(TOKEN_PREFIX):
            return value
        return encrypt(value)


class KeyedHashField(models.CharField):
    """The HMAC of another field's value, computed on every save (never set by hand)."""

    def __init__(self, *args, source: str = "id_number", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = id_number_hash(getattr(model_instance, self.source)) or None
        setattr(model_instance, self.attname, value)
        return value
