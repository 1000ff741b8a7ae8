"""Property-based checks of the published OpenAPI schema (schemathesis): no 5xx and no
response that violates the schema, on a bounded number of generated requests per operation.

The operations are driven through schemathesis's Python API (one Hypothesis run per
operation) rather than its pytest plugin, so that the check does not depend on pytest's
private node attributes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from accord.api.app import create_app
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def api_schema(store: Store) -> schemathesis.BaseSchema:
    ingest_file(store, DEMO_DIR / "celestrak_active_2026-03-04_sample.txt")
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_user(store, "a@deu.example", "DEU", "analyst", password="pw")
    roomy = Store(
        store.settings.model_copy(update={"api_quota": 100_000, "api_class_quotas": {}}),
        store.engine,
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(store=roomy))


def test_api_conforms_to_its_schema(api_schema: schemathesis.BaseSchema) -> None:
    failures: list[str] = []
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        try:
            check()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
        checked += 1
    published = sum(
        method in {"get", "put", "post", "delete", "patch", "head", "options"}
        for item in api_schema.raw_schema["paths"].values()
        for method in item
    )
    assert checked == published and published >= 9, (checked, published)
    assert not failures, "\n\n".join(failures)
