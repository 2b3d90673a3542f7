"""Refusals speak Chinese in the site's layout (DEBUG off, as in production)."""

import pytest
from django.test import override_settings


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_it_answers_out_of_scope_with_a_chinese_404_page(client, outsider, nanga_team):
    client.force_login(outsider)

    response = client.get(f"/teams/{nanga_team.pk}/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and "驻村工作队管理系统" in body and "WorkTeam" not in body


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_it_answers_a_forbidden_action_with_a_chinese_403_page(client, auditor, nanga_team):
    client.force_login(auditor)

    response = client.get(f"/teams/{nanga_team.pk}/edit/")

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
