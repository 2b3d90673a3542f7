"""The statistics API's cache (reports/stats_cache.py): an answer is kept per scope, endpoint, parameters, store
version and day; an approval retires every kept answer once its rollup has committed; two counties never see each
other's answer; the keys hold nothing personal; a failing cache only makes answers slower.

堆龙德庆区 has two teams in batch 10: 南嘎's January report is approved (P02 = 5), the other's is waiting for review
(P02 = 7). 比如县 has one team, approved (P02 = 9)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone
from rest_framework.test import APIClient

from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.rollup import rebuild_batch
from reports.stats_cache import (
    STATS_CACHE_SECONDS,
    VERSION_KEY,
    answer_key,
    bump_stats_version,
    replace_stats_version,
    stats_version,
)
from tests.factories import IndicatorFactory, MonthlyReportFactory, UserRoleFactory, make_team
from villages.models import Area
from zhucun.choices import Role
from zhucun.scope import Scope

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
TOTALS = "/api/v1/stats/totals/"
REQUEST_QUERIES = 3  # session, user, roles: what a cached answer costs


@pytest.fixture(autouse=True)
def _february_2026(time_machine):
    time_machine.move_to(datetime.datetime(2026, 2, 10, 2, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture(autouse=True)
def _jobs_in_process():
    """The rollup job runs in this process (Celery's eager mode) even where CI runs a real worker: the worker could
    not see this test's uncommitted reports. The worker's path is test_rollup.py's celery_worker test."""
    from zhucun.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def story(batch, nanga, biru, nanga_team):
    p02 = IndicatorFactory(code="P02")

    def report(village: str, value: int, **state):
        team = nanga_team if village == nanga.code else make_team(village=village, batch=batch, members=1)
        made = MonthlyReportFactory(team=team, month=JAN, **state)
        ReportValue.objects.create(report=made, indicator=p02, value=Decimal(value))
        return made

    other_village = (
        Area.objects.filter(code__startswith="540103", level="village").exclude(code=nanga.code).order_by("code")[0]
    )
    biru_village = Area.objects.filter(code__startswith=biru.code, level="village").order_by("code")[0]
    report(nanga.code, 5, approved=True)
    waiting = report(other_village.code, 7, submitted=True)
    report(biru_village.code, 9, approved=True)
    rebuild_batch(batch)
    completeness_rebuild()
    replace_stats_version()
    return {"batch": batch, "waiting": waiting}


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def p02(client, **params) -> tuple[str, str]:
    """(area code, P02) of the January totals of batch 10."""
    response = client.get(TOTALS, {"kind": "month", "period": "2026-01", **params})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    values = {item["code"]: item["value"] for group in body["categories"] for item in group["indicators"]}
    return body["area"]["code"], values["P02"]


def test_an_approval_through_the_api_changes_the_cached_answer(
    story, county_admin, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client = signed_in(county_admin)
    assert p02(client) == ("540103", "5")
    with django_assert_num_queries(REQUEST_QUERIES):  # kept: the second read costs no statistics query
        assert p02(client) == ("540103", "5")

    # The approval enqueues the rollup job on commit; tasks run in-process here, so it runs when the callbacks do.
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"/api/v1/monthly-reports/{story['waiting'].pk}/approve/", {"comment": "同意"})
    assert approved.status_code == 200, approved.content.decode()

    assert p02(client) == ("540103", "12")


def test_the_version_is_replaced_only_once_the_writer_commits(django_capture_on_commit_callbacks):
    """A reader between the rollup's writes and its commit still sees the old figures: the old version must still
    name them, or that reader would keep old figures under the new version."""
    version = stats_version()

    with django_capture_on_commit_callbacks(execute=True):
        bump_stats_version()
        assert stats_version() == version

    assert stats_version() != version


def test_two_counties_never_get_each_others_cached_answer(story, county_admin, outsider):
    doilungdeqen, biru = signed_in(county_admin), signed_in(outsider)

    assert p02(doilungdeqen) == ("540103", "5")
    assert p02(biru) == ("540622", "9")  # same parameters, asked after 堆龙德庆区's answer was kept
    assert p02(doilungdeqen) == ("540103", "5")
    assert p02(biru, batch=story["batch"].pk) == ("540622", "9")
    assert p02(doilungdeqen, batch=story["batch"].pk) == ("540103", "5")
    # 比如县 asking for 堆龙德庆区 by name still gets 404, although that answer is kept.
    assert biru.get(TOTALS, {"kind": "month", "period": "2026-01", "area": "540103"}).status_code == 404


def test_two_admins_of_one_county_share_the_answer(story, county_admin, doilungdeqen, django_assert_num_queries):
    colleague = UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen, user__username="doilungdeqen-admin-2").user
    assert p02(signed_in(county_admin)) == ("540103", "5")
    client = signed_in(colleague)
    client.get("/api/v1/me/")  # the session read once

    with django_assert_num_queries(REQUEST_QUERIES):
        assert p02(client) == ("540103", "5")


def test_a_team_leader_gets_403_even_when_the_answer_is_kept(story, county_admin, nanga_leader):
    p02(signed_in(county_admin))

    response = signed_in(nanga_leader).get(TOTALS, {"kind": "month", "period": "2026-01"})

    assert response.status_code == 403
    assert response.json()["detail"] == "统计数据仅向各级管理员、审计人员和派驻单位联络员开放。"


def test_the_same_question_asked_differently_is_one_answer(story, county_admin, django_assert_num_queries):
    client = signed_in(county_admin)
    client.get(TOTALS, {"kind": "month", "period": "2026-01", "area": ""})

    with django_assert_num_queries(REQUEST_QUERIES):
        response = client.get(f"{TOTALS}?period=2026-01&unit_level=&kind=month&foo=bar")
    assert response.status_code == 200


def test_an_invalid_parameter_gets_400_although_an_answer_is_kept(story, county_admin):
    client = signed_in(county_admin)
    p02(client)

    response = client.get(TOTALS, {"kind": "month", "period": "2026-13"})

    assert response.status_code == 400
    assert response.json()["period"] == ["请按“年-月”填写月份，例如 2026-06。"]


def test_the_cache_keys_hold_nothing_personal(story, county_admin, monkeypatch):
    memory = LocMemCache("test-stats-cache-keys", {})  # whatever the settings say, a cache whose keys can be listed
    monkeypatch.setattr("reports.stats_cache.cache", memory)
    before = set(memory._cache)

    p02(signed_in(county_admin))
    p02(signed_in(county_admin), batch=story["batch"].pk)

    added = set(memory._cache) - before - {memory.make_key(VERSION_KEY)}
    assert len(added) == 2
    for key in added:
        assert re.fullmatch(r":1:stats:totals:[0-9a-f]{64}", key), key
        assert "doilungdeqen" not in key and "540103" not in key  # and the rest is a hash: no user id either
    assert answer_key("totals", Scope(area_prefixes=("540103",)), {"kind": "month"}) != answer_key(
        "totals", Scope(area_prefixes=("540622",)), {"kind": "month"}
    )


def test_a_flushed_cache_starts_a_fresh_random_version(story, county_admin):
    client = signed_in(county_admin)
    p02(client)
    old = stats_version()

    cache.delete(VERSION_KEY)  # as after a flush or a restart of Redis

    assert cache.get(VERSION_KEY) is None
    new = stats_version()
    assert new != old and re.fullmatch(r"[0-9a-f]{16}", new)
    assert stats_version() == new
    assert p02(client) == ("540103", "5")


def test_the_answer_is_computed_when_the_cache_fails(story, county_admin, monkeypatch, caplog):
    class Broken:
        def __getattr__(self, name):
            def broken(*args, **kwargs):
                raise ConnectionError("Redis is down")

            return broken

    monkeypatch.setattr("reports.stats_cache.cache", Broken())

    assert p02(signed_in(county_admin)) == ("540103", "5")
    assert "the statistics cache could not be read" in caplog.text


def test_answers_expire_by_themselves_within_ten_minutes():
    assert STATS_CACHE_SECONDS == 600


def test_the_cache_defaults_to_the_brokers_redis_on_the_next_database(monkeypatch):
    from zhucun.settings import _default_cache_url

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    assert _default_cache_url() == "redis://redis:6379/1"
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:secret@127.0.0.1:6379/1")
    assert _default_cache_url() == "redis://:secret@127.0.0.1:6379/2"
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://guest@rabbit//")
    assert _default_cache_url() == "dummy://"  # no shared cache: nothing is cached rather than stale
    monkeypatch.setenv("CELERY_BROKER_URL", "")
    assert _default_cache_url() == "locmem://"  # tasks in-process: this process's memory is shared enough


def test_answers_go_through_redis(story, county_admin, monkeypatch, django_capture_on_commit_callbacks):
    """The production shape: the answers and the version in Redis (db 6 here), as pickles."""
    import redis
    from django.core.cache.backends.redis import RedisCache

    url = "redis://127.0.0.1:6379/6"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    redis_cache = RedisCache(url, {"KEY_PREFIX": "zhucun-test-stats-cache"})
    monkeypatch.setattr("reports.stats_cache.cache", redis_cache)
    redis_cache.delete(VERSION_KEY)
    try:
        client = signed_in(county_admin)
        assert p02(client) == ("540103", "5")
        assert p02(client) == ("540103", "5")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/api/v1/monthly-reports/{story['waiting'].pk}/approve/", {"comment": "同意"})
        assert p02(client) == ("540103", "12")
    finally:
        redis_cache.delete(VERSION_KEY)


def test_the_rebuild_command_retires_the_cached_answers(story, county_admin, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from reports.choices import ReportStatus

    client = signed_in(county_admin)
    assert p02(client) == ("540103", "5")
    # Approved behind the workflow's back (a repair, a restore): nothing is recomputed until the rebuild.
    type(story["waiting"]).objects.filter(pk=story["waiting"].pk).update(
        status=ReportStatus.APPROVED, reviewed_at=timezone.now()
    )
    assert p02(client) == ("540103", "5")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("rollup_rebuild", "--month", "2026-01", stdout=io.StringIO())

    assert p02(client) == ("540103", "12")
