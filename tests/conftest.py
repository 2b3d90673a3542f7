"""The shared test base: the real Tibet geography, loaded once, and the named places and people of our stories.

Geography once per session
    `django_db_setup` is overridden to load the real divisions CSV (1 region, 7 prefectures, 78 county-level
    units, 705 townships, 5,580 villages), the indicator catalogue (51 indicators) and the default activity
    types into the freshly created test database, once per session (once per xdist worker, each of which has
    its own database: `test_zhucun_gw0` ... on PostgreSQL, its own in-memory database on SQLite). Ordinary
    `@pytest.mark.django_db` tests run inside a transaction that is rolled back, so the geography they see is
    always the pristine one and nobody has to load it again.

Transactional tests (`transaction=True`, `transactional_db`, `live_server`, `TransactionTestCase`)
    These commit for real and Django flushes every table after each of them, geography included.
    pytest-django runs them after all ordinary database tests, and `pytest_runtest_setup` below reloads the
    geography before any database test that finds the area table empty (a one-row check per database test,
    made before the test's transaction opens; the reload costs about half a second and happens only after a
    flush). So every test, transactional or not and in whatever order, starts with the full geography: a
    transactional test needs nothing special, but each one after the first pays for a reload, so keep them few.
    `geography_transactional` exists for tests that want to say so explicitly (it reloads if, against the
    above, the tree is missing) and returns the region. Never call `flush` or delete areas by hand in an
    ordinary test: the rollback undoes it anyway.

Named places (each an `Area` read back from the loaded tree)
    `region` 西藏自治区 (54), `lhasa` 拉萨市 (5401), `doilungdeqen` 堆龙德庆区 (540103), `nanga` 南嘎居委会
    (540103001002, a 居委会 in 东嘎街道), `biru` 比如县 (540622, 那曲市), `naipu` 耐普村 (540622202218).

Named things and people
    `batch`         第十批, 2025-11-01 to 2026-10-31, the current batch of the stories.
    `nanga_team`    the team of 拉萨市堆龙德庆区统计局 in 南嘎居委会, batch 10: a 队长, a 第一书记 and two 队员.
    `region_admin`  a user with the region admin role for 西藏自治区.
    `county_admin`  the county admin of 堆龙德庆区.
    `nanga_leader`  the user of the 队长 of `nanga_team`, with the team leader role for it.
    `auditor`       an auditor bound to the region (read-only, region-wide).
    `outsider`      the county admin of 比如县: an admin, but of another county.

`violates` is a fixture returning a context manager that expects an IntegrityError from a named constraint.

Passwords are hashed with MD5 during tests (set once per session) so that creating users stays cheap;
`tests.factories.TEST_PASSWORD` logs any factory user in.
"""

import datetime
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.db import IntegrityError, transaction
from django.test import TransactionTestCase
from django.test.utils import override_settings

from reports.services import activity_type_import_csv, indicator_import_csv
from teams.choices import UnitLevel
from teams.models import Batch, WorkTeam
from tests.factories import BatchFactory, DispatchingUnitFactory, UserRoleFactory, make_team
from villages.models import Area
from villages.services import area_import_csv
from zhucun.choices import Role

REGION_CODE = "54"
LHASA_CODE = "5401"
DOILUNGDEQEN_CODE = "540103"
NANGA_CODE = "540103001002"
BIRU_CODE = "540622"
NAIPU_CODE = "540622202218"

# Kept by django_db_setup so the setup hook can reach the database outside any test.
_db_blocker = None


def load_geography() -> None:
    """Load (or top up) the real area tree, the indicator catalogue and the activity types. Idempotent."""
    area_import_csv()
    indicator_import_csv()
    activity_type_import_csv()


def geography_is_loaded() -> bool:
    return Area.objects.filter(code=REGION_CODE).exists()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as pytest-django creates it, plus the real geography and catalogue, once."""
    global _db_blocker
    _db_blocker = django_db_blocker
    with django_db_blocker.unblock():
        load_geography()
    yield
    _db_blocker = None


def _uses_database(item: pytest.Item) -> bool:
    test_class = getattr(item, "cls", None)
    if item.get_closest_marker("django_db") is not None or (test_class and issubclass(test_class, TransactionTestCase)):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return any(name in fixtures for name in ("db", "transactional_db", "live_server"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Before a database test sets up its fixtures (so outside any test transaction), put the geography back
    if a transactional test's flush took it away. The first test finds it loaded by django_db_setup."""
    if _db_blocker is not None and _uses_database(item):
        with _db_blocker.unblock():
            if not geography_is_loaded():
                load_geography()
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """With a real worker (CI), before a transactional test's flush empties the tables: wait until the worker has
    finished the jobs the test enqueued. A job still writing while TRUNCATE runs deadlocks the flush."""
    if _celery_worker_running() and _is_transactional(item):
        _wait_for_idle_worker()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server", "geography_transactional"} & set(fixtures)
    )


def _wait_for_idle_worker(seconds: float = 60) -> None:
    import time

    from zhucun.celery import app

    deadline = time.monotonic() + seconds
    with app.connection_for_write() as connection:
        queue = connection.default_channel.client
        while time.monotonic() < deadline:
            busy = queue.llen("celery")
            if not busy:
                inspect = app.control.inspect(timeout=0.5)
                busy = any((inspect.active() or {}).values()) or any((inspect.reserved() or {}).values())
            if not busy:
                return
            time.sleep(0.2)


@pytest.fixture(autouse=True)
def _celery_may_join() -> None:
    """A worker started inside this process by a fault test leaves Celery's process-wide "joining would block"
    flag set; tasks run with .apply().get() in later tests would then refuse to return their result."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _no_cached_statistics() -> None:
    """Each test's data are its own: no statistics answer cached by an earlier test (same scope, same parameters,
    same day) may answer it. A new store version retires them all (reports/stats_cache.py)."""
    from reports.stats_cache import replace_stats_version

    replace_stats_version()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def geography_transactional(transactional_db) -> Area:
    """For transactional tests: the geography, reloaded if a flush took it away. Returns the region."""
    if not geography_is_loaded():
        load_geography()
    return Area.objects.get(code=REGION_CODE)


@pytest.fixture
def violates() -> Callable[..., AbstractContextManager[None]]:
    """`with violates("team_one_per_village_per_batch", columns="teams_workteam.batch_id, ..."):` expects the
    block to raise IntegrityError from that constraint, and rolls the block back (a savepoint) so the test can
    go on. PostgreSQL names the constraint; SQLite names a CHECK constraint but only the columns of a unique one.
    """

    @contextmanager
    def expect(constraint: str, *, columns: str | None = None) -> Iterator[None]:
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            yield
        message = str(caught.value)
        expected = [constraint] + ([f"UNIQUE constraint failed: {columns}"] if columns else [])
        assert any(text in message for text in expected), f"expected {expected}, got {message!r}"

    return expect


# Named places ---------------------------------------------------------------------------------------


@pytest.fixture
def region(db) -> Area:
    """西藏自治区."""
    return Area.objects.get(code=REGION_CODE)


@pytest.fixture
def lhasa(db) -> Area:
    """拉萨市."""
    return Area.objects.get(code=LHASA_CODE)


@pytest.fixture
def doilungdeqen(db) -> Area:
    """堆龙德庆区, 拉萨市: the county of our main stories."""
    return Area.objects.get(code=DOILUNGDEQEN_CODE)


@pytest.fixture
def nanga(db) -> Area:
    """南嘎居委会, 东嘎街道, 堆龙德庆区: a residents' committee."""
    return Area.objects.get(code=NANGA_CODE)


@pytest.fixture
def biru(db) -> Area:
    """比如县, 那曲市: the outsider's county."""
    return Area.objects.get(code=BIRU_CODE)


@pytest.fixture
def naipu(db) -> Area:
    """耐普村, 达塘乡, 比如县: a village committee."""
    return Area.objects.get(code=NAIPU_CODE)


# Named things and people ------------------------------------------------------------------------------


@pytest.fixture
def batch(db) -> Batch:
    """第十批, the current batch of the stories (also what factories use when given no batch)."""
    return BatchFactory(number=10, start_date=datetime.date(2025, 11, 1), end_date=datetime.date(2026, 10, 31))


@pytest.fixture
def nanga_team(nanga, doilungdeqen, batch) -> WorkTeam:
    """拉萨市堆龙德庆区统计局驻南嘎居委会工作队: 队长, 第一书记 and two 队员, all on post."""
    unit = DispatchingUnitFactory(name="拉萨市堆龙德庆区统计局", level=UnitLevel.COUNTY, area=doilungdeqen)
    return make_team(village=nanga, batch=batch, unit=unit)


@pytest.fixture
def region_admin(region):
    return UserRoleFactory(role=Role.REGION_ADMIN, area=region, user__username="region-admin").user


@pytest.fixture
def county_admin(doilungdeqen):
    return UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen, user__username="doilungdeqen-admin").user


@pytest.fixture
def nanga_leader(nanga_team):
    leader = nanga_team.assignments.get(role="leader").cadre
    role = UserRoleFactory(role=Role.TEAM_LEADER, team=nanga_team, user__username="nanga-leader")
    leader.user = role.user
    leader.save(update_fields=["user"])
    return role.user


@pytest.fixture
def auditor(region):
    return UserRoleFactory(role=Role.AUDITOR, area=region, user__username="auditor").user


@pytest.fixture
def outsider(biru):
    return UserRoleFactory(role=Role.COUNTY_ADMIN, area=biru, user__username="biru-admin").user


# -- Tests that need parts outside the Python process ------------------------------------------------------------

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """Debian's Chromium, driven by Playwright with executable_path (never a downloaded browser)."""
    import os
    import shutil

    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return next((path for path in CHROMIUM_PATHS if shutil.which(path)), None)


def _celery_worker_running() -> bool:
    import os

    return os.environ.get("ZHUCUN_CELERY_WORKER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, visibly, the tests whose outside parts are missing: a real Celery worker (started by .ci/run)
    and Debian's Chromium. CI always has both."""
    skip_worker = pytest.mark.skip(reason="no Celery worker: run .ci/run, which starts one against Redis")
    skip_browser = pytest.mark.skip(reason="no Chromium found: apt-get install -y chromium fonts-wqy-microhei")
    has_worker, has_browser = _celery_worker_running(), chromium_path() is not None
    for item in items:
        if "celery_worker" in item.keywords and not has_worker:
            item.add_marker(skip_worker)
        if "browser" in item.keywords and not has_browser:
            item.add_marker(skip_browser)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    lines = [f"zhucun: database {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME', '')}"]
    lines.append(
        "zhucun: Celery worker tests RUN (worker started by .ci/run)"
        if _celery_worker_running()
        else "zhucun: Celery worker tests SKIPPED (no worker; .ci/run runs them against Redis)"
    )
    browser = chromium_path()
    lines.append(
        f"zhucun: browser tests RUN with {browser}"
        if browser
        else "zhucun: browser tests SKIPPED (no Chromium; apt-get install -y chromium)"
    )
    return lines


# -- Browser tests: Playwright driving Debian's Chromium against the live server ----------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (skipped, visibly, when none is installed)."""
    import os

    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found: apt-get install -y chromium fonts-wqy-microhei")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make there
    # (factories, reading the database back) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(user, viewport=PHONE)` → a Playwright page on the live server, logged in through the login
    form when a user is given (their password is tests.factories.TEST_PASSWORD)."""
    from tests.factories import TEST_PASSWORD

    contexts = []

    def open_(user=None, *, viewport: dict | None = None):
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if user is not None:
            page.goto("/accounts/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("form [type=submit]")
            page.wait_for_load_state()
        return page

    yield open_
    for context in contexts:
        context.close()
