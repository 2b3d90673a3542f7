"""The browser shell: the base layout, the navigation by role, messages, and no inline code (the Content
Security Policy will forbid inline scripts, styles and event handlers)."""

import re

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory, UserRoleFactory
from zhucun import context_processors
from zhucun.choices import Role

pytestmark = pytest.mark.django_db

ALL_LINKS = {
    "村居": "villages:list",
    "工作队": "teams:list",
    "驻村干部": "teams:cadre_list",
    "请假": "teams:leave_list",
    "API文档": "api-docs",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def nav_labels(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("home"))
    return [item["label"] for item in response.context["nav_items"]]


def existing(*labels: str) -> set[str]:
    """The labels whose pages exist (the other parts of the project wire their pages up on their own)."""
    names = {label: ALL_LINKS[label] for label in labels}
    found = set()
    for label, name in names.items():
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        found.add(label)
    return found


# Layout ------------------------------------------------------------------------------------------------


def test_it_lays_out_every_page_in_chinese_for_phones_and_desktops(client, county_admin):
    client.force_login(county_admin)

    html = client.get(reverse("home")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '/static/vendor/pico.min.css"' in html
    assert '/static/css/app.css"' in html
    assert '/static/js/app.js"' in html
    assert "驻村工作队管理系统" in html
    assert 'class="nav-toggle" aria-controls="site-nav" aria-expanded="false"' in html


def test_it_shows_the_user_name_roles_password_change_and_a_logout_form(client, county_admin):
    county_admin.first_name = "卓玛"
    county_admin.save()
    client.force_login(county_admin)

    html = client.get(reverse("home")).content.decode()

    assert "卓玛" in html
    assert "县委组织部管理员（堆龙德庆区）" in html
    assert f'href="{reverse("password_change")}"' in html
    logout = re.search(r'<form method="post" action="([^"]+)" class="logout-form">(.*?)</form>', html, re.S)
    assert logout and logout.group(1) == reverse("logout")
    assert "csrfmiddlewaretoken" in logout.group(2)


def test_it_shows_no_navigation_before_login(client):
    html = client.get(reverse("login")).content.decode()

    assert 'id="site-nav"' not in html
    assert "退出登录" not in html


def test_it_serves_its_own_stylesheet_and_script_from_static_files():
    assert finders.find("css/app.css")
    assert finders.find("js/app.js")
    assert finders.find("vendor/pico.min.css")


def test_it_has_no_inline_scripts_styles_or_handlers(client, county_admin, nanga_leader, auditor):
    pages = [client.get(reverse("login")).content.decode()]
    for user in (county_admin, nanga_leader, auditor):
        client.force_login(user)
        pages.append(client.get(reverse("home")).content.decode())
        pages.append(client.get(reverse("password_change")).content.decode())
    client.logout()
    for _ in range(5):  # the lock-out page
        response = client.post(reverse("login"), {"username": "doilungdeqen-admin", "password": "x"})
    assert response.status_code == 429
    pages.append(response.content.decode())

    for html in pages:
        assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
        assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
        assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)


def test_it_displays_messages(county_admin):
    request = RequestFactory().get("/")
    request.user = county_admin
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.success(request, "工作队已保存。")

    html = render_to_string("base.html", request=request)

    assert '<p class="message message-success" role="status">工作队已保存。</p>' in html
    assert get_messages(request).used  # shown once: the storage drops them when the response goes out


# Navigation by role ------------------------------------------------------------------------------------


def test_it_shows_the_county_admin_every_working_page_but_not_the_admin_site(client, county_admin):
    labels = nav_labels(client, county_admin)

    assert labels[0] == "首页"
    assert existing(*ALL_LINKS) <= set(labels)
    assert "系统管理" not in labels


def test_it_shows_the_admin_site_to_staff_region_admins_only(client, region_admin):
    assert "系统管理" not in nav_labels(client, region_admin)

    region_admin.is_staff = True
    region_admin.save()
    assert "系统管理" in nav_labels(client, region_admin)

    staff_county_admin = UserRoleFactory(role=Role.COUNTY_ADMIN, user__is_staff=True).user
    assert "系统管理" not in nav_labels(client, staff_county_admin)


def test_it_shows_the_team_leader_leave_but_not_the_team_member(client, nanga_leader, nanga_team):
    member = UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team).user

    assert existing("请假") <= set(nav_labels(client, nanga_leader))
    member_labels = nav_labels(client, member)
    assert "请假" not in member_labels
    assert existing("工作队", "驻村干部") <= set(member_labels)
    assert "系统管理" not in member_labels


def test_it_shows_the_auditor_leave_but_not_the_unit_liaison(client, auditor):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON).user

    assert existing("请假") <= set(nav_labels(client, auditor))
    assert "请假" not in nav_labels(client, liaison)


def test_it_shows_a_person_without_a_role_only_the_home_page(client):
    assert nav_labels(client, UserFactory()) == ["首页"]


def test_it_marks_the_current_page(client, county_admin):
    client.force_login(county_admin)

    html = client.get(reverse("home")).content.decode()

    assert f'<a href="{reverse("home")}" aria-current="page">首页</a>' in html
    assert html.count('aria-current="page"') == 1


def test_it_leaves_out_a_page_that_does_not_exist_yet(client, county_admin, monkeypatch):
    monkeypatch.setattr(
        context_processors, "NAV_ITEMS", (*context_processors.NAV_ITEMS, ("尚未建成", "reports:nowhere", ()))
    )
    client.force_login(county_admin)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "尚未建成" not in [item["label"] for item in response.context["nav_items"]]


def test_it_names_the_scope_of_every_role_in_one_query_per_kind(county_admin, nanga_team, django_assert_num_queries):
    UserRoleFactory(user=county_admin, role=Role.TEAM_LEADER, team=nanga_team)
    UserRoleFactory(user=county_admin, role=Role.AUDITOR, area=nanga_team.village.parent.parent)

    with django_assert_num_queries(3):  # the roles, their areas, their teams
        shown = context_processors.roles_display(county_admin)

    assert shown == ["县委组织部管理员（堆龙德庆区）", f"工作队队长（{nanga_team.name}）", "审计/督查（堆龙德庆区）"]
