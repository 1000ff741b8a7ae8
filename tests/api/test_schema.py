"""Property-based checks of the published OpenAPI schema (schemathesis): no 5xx and no
response that violates the schema, on a bounded number of generated requests."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from accord.api.app import create_app
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store


@pytest.fixture
def api_schema(store: Store) -> schemathesis.BaseSchema:
    ingest_file(store, DEMO_DIR / "celestrak_active_2026-03-04_sample.txt")
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_user(store, "a@deu.example", "DEU", "analyst", password="pw")
    roomy = Store(store.settings.model_copy(update={"api_quota": 100_000}), store.engine)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(store=roomy))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()
