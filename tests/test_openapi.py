"""openapi.yaml is generated from the code, valid, and served at /schema."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

from agentapi import create_app
from agentapi.openapi import build_spec, spec_yaml

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_yaml_matches_the_code():
    app = create_app({"DATABASE_URL": "mysql://nobody@127.0.0.1:1/none"})
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == spec_yaml(build_spec(app)), "run `make openapi` and commit openapi.yaml"


def test_openapi_yaml_is_a_valid_openapi_3_0_document():
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    validate(document)
    assert document["openapi"] == "3.0.3"


def test_schema_route_is_public_and_serves_the_same_document(client):
    response = client.get("/api/agent/v1/schema")
    assert response.status_code == 200
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert response.get_json() == document
