"""The OpenAPI document tells the truth: every route is in it, and nothing else is."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from registration.accounts.services import issue_api_token
from registration.extensions import db
from tests.factories import make_account, make_event

METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _flask_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes |= {(method, path) for method in rule.methods & METHODS}
    return routes


def test_openapi_document_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented_and_every_documented_route_exists(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    assert documented == _flask_routes(app)


def test_documented_path_parameters_match_the_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == in_path, path


def _example(schema: dict):
    """A value the schema allows: what a client reading only the document would send."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
    if kind == "integer":
        return schema.get("minimum", 0) + 1
    if kind == "boolean":
        return True
    examples = {"email": "koalicja@example.org", "uri": "https://example.org/spotkanie"}
    if schema.get("format") in examples:
        return examples[schema["format"]]
    if schema.get("format") == "date-time":
        return "2030-03-10T10:00:00+01:00"
    return "Wrocław"  # a city's name, and a fine title or venue too


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("RegistrationRequest", "/api/v1/events/{event_id}/registrations"),
        ("EventCreate", "/api/v1/events"),
    ],
)
def test_the_document_requires_what_the_validation_requires(app, client, schema, path):
    """The document is built from the validation's definitions, so they cannot disagree:
    leaving out any one field the document requires is refused, naming that field."""
    with app.app_context():
        event_id = make_event().id
        token = issue_api_token(make_account())
        db.session.commit()
    described = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][schema]
    body = {name: _example(described["properties"][name]) for name in described["required"]}
    if "ends_at" in body:
        body["ends_at"] = "2030-03-10T15:00:00+01:00"  # after the start
    headers = {"Authorization": f"Bearer {token}"}
    url = path.format(event_id=event_id)
    for name in described["required"]:
        response = client.post(
            url, json={k: v for k, v in body.items() if k != name}, headers=headers
        )
        assert response.status_code == 422, name
        assert name in response.get_json()["errors"], name
    assert client.post(url, json=body, headers=headers).status_code == 201
