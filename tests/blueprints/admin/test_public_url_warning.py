"""/admin warns while PUBLIC_BASE_URL is unset: record QR codes then depend on the address a
request came in on (services/record_pdf.public_base_url)."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in


@pytest.fixture()
def no_public_url(app):
    old = app.config.get("PUBLIC_BASE_URL")
    app.config["PUBLIC_BASE_URL"] = ""
    yield
    app.config["PUBLIC_BASE_URL"] = old


def test_admin_pages_warn_while_public_base_url_is_unset(app, client, org, session, no_public_url):
    sign_in(client, org.sysadmin)
    for url in ("/admin/users", "/admin/departments"):
        html = client.get(url).get_data(as_text=True)
        assert "public-url-warning" in html and "PUBLIC_BASE_URL" in html, url
    app.config["PUBLIC_BASE_URL"] = "https://zhjg.example.cn"
    for url in ("/admin/users", "/admin/departments"):
        assert "public-url-warning" not in client.get(url).get_data(as_text=True), url
