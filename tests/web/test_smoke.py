"""The app starts, logs people in and out, and answers health checks."""

from __future__ import annotations


def test_it_reports_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_it_logs_in_with_the_right_password(client, admin):
    response = client.login("admin")
    assert response.status_code == 302
    assert client.get("/queue").status_code == 200


def test_it_refuses_a_wrong_password(client, admin):
    response = client.login("admin", "wrong password here")
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in response.get_data(as_text=True) or \
        "Wrong username or password" in response.get_data(as_text=True)
