import pytest


@pytest.mark.django_db
def test_it_reports_a_healthy_database_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_of_the_home_page_to_a_login(client):
    response = client.get("/", follow=True)

    assert response.status_code == 200
    assert "登录" in response.content.decode()
