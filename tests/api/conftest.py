"""Check real API responses against the OpenAPI document's schemas."""

from __future__ import annotations

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012


@pytest.fixture
def conforms(client):
    """``conforms(response, "/events/{event_id}", "get")`` validates status, type and body."""
    document = client.get("/api/v1/openapi.json").get_json()
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))

    def check(response, path: str, method: str) -> dict:
        responses = document["paths"][path][method]["responses"]
        assert str(response.status_code) in responses, (
            f"{method.upper()} {path} answered {response.status_code}, not documented"
        )
        content = responses[str(response.status_code)]["content"]
        assert response.mimetype in content, response.mimetype
        schema = _absolute(content[response.mimetype]["schema"])
        jsonschema.validate(
            response.get_json(),
            schema,
            cls=jsonschema.Draft202012Validator,
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return response.get_json()

    return check


def _absolute(schema):
    """Point the document's local ``#/components/...`` references at the registry's copy."""
    if isinstance(schema, dict):
        return {
            key: (
                "urn:openapi" + value
                if key == "$ref" and value.startswith("#")
                else _absolute(value)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(item) for item in schema]
    return schema
