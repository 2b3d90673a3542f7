"""Static files storage for production: whitenoise's hashed, compressed copies."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    def keep(pattern) -> bool:
        regex = pattern[0] if isinstance(pattern, tuple) else pattern
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(filter(keep, rules))) for glob, rules in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names (cached for a year by browsers) and gzip/brotli copies, as whitenoise's storage; the source-map
    comments of the vendored builds (Swagger UI, Pico) name .map files that are not vendored, so those comments are
    left as they are instead of failing collectstatic (a browser asks for a map only when its developer tools are
    open)."""

    patterns = _without_source_maps(ManifestStaticFilesStorage.patterns)
