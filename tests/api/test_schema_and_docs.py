"""The OpenAPI schema generates cleanly, and the docs page loads script files only."""

from __future__ import annotations

import re

import yaml
from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "rpt_<prefix>_<secret>",
        "description": "A personal API token (Settings → API tokens), bound to one workspace.",
    }
    assert {"/api/v1/me/", "/api/v1/members/", "/api/v1/teams/", "/api/v1/teams/{id}/"} <= set(schema["paths"])
    patch = schema["paths"]["/api/v1/teams/{id}/"]["patch"]
    assert {"bearerAuth": []} in patch["security"]
    assert "application/problem+json" in patch["responses"]["412"]["content"]
    assert "If-Match" in [p["name"] for p in patch["parameters"]]


def test_schema_is_served_to_anyone(db, client):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    assert "/api/v1/teams/" in response.json()["paths"]


def test_docs_page_has_no_inline_script_or_style(db, client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 4
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    for attributes, body in scripts:
        assert 'src="' in attributes and body.strip() == ""
        assert f'nonce="{nonce}"' in attributes
    assert "<style" not in html and "style=" not in html
    sources = [re.search(r'src="([^"]+)"', attributes).group(1) for attributes, _ in scripts]
    assert sources[0].startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")


def test_docs_init_script_is_served_as_javascript(db, client):
    response = client.get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
    assert "/api/v1/schema/" in response.content.decode()


def test_browsable_api_renders_for_a_logged_in_member(cast, login):
    client = login(cast.admin)
    for url in ("/api/v1/teams/", f"/api/v1/teams/{cast.team_east.pk}/", "/api/v1/members/", "/api/v1/me/"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert "East" in response.content.decode() or url.endswith(("/members/", "/me/"))
