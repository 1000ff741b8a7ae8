"""Federation over the REST API on real stores (SQLite and PostgreSQL): partners, the
agreements a caller is a party to, its own API keys, and the ledger, each route as
anonymous, another party, the owner and an administrator."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.services import audit, federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store
from accord.storage.tables import api_keys

USERS = {"deu": ("DEU", "analyst"), "ita": ("ITA", "observer"), "root": ("FRA", "admin")}


class Federation:
    """Three partners, an agreement between two, a user and an API key each."""

    def __init__(self, store: Store) -> None:
        ingest_file(store, DEMO_DIR / "celestrak_active_2026-03-04_sample.txt")
        self.public = {
            code: federation.add_partner(store, code, name, country=code[:2]).public_key_hex
            for code, name in (("DEU", "GSSAC"), ("ITA", "ASI"), ("FRA", "CNES"))
        }
        self.deu_ita = federation.add_agreement(store, "DEU", ["ITA"], ["element-sets"], "full")
        self.local_fra = federation.add_agreement(
            store, "LOCAL", ["FRA"], ["element-sets"], "derived-only"
        )
        self.keys = {}
        for user, (code, role) in USERS.items():
            federation.add_user(store, f"{user}@example.org", code, role)
            self.keys[user] = federation.create_key(store, f"{user}@example.org")
        self.store = store
        self.client = TestClient(create_app(store=store))

    def call(self, method: str, path: str, user: str | None, **params: Any) -> Any:
        key = None if user is None else self.keys.get(user, user)
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return self.client.request(method, "/api/v1" + path, headers=headers, params=params)

    def get(self, path: str, user: str | None, **params: Any) -> Any:
        return self.call("GET", path, user, **params)


@pytest.fixture
def fed(store: Store) -> Federation:
    return Federation(store)


def test_partners_are_public(fed: Federation) -> None:
    answer = fed.get("/partners", None)
    assert answer.status_code == 200
    partners = {p["code"]: p for p in answer.json()["items"]}
    assert set(partners) == {"DEU", "FRA", "ITA", "LOCAL"}
    assert partners["DEU"] == {
        "code": "DEU",
        "name": "GSSAC",
        "kind": "agency",
        "country": "DE",
        "releasability": "agreement",
        "public_key": fed.public["DEU"],
    }
    assert len(bytes.fromhex(partners["ITA"]["public_key"])) == 32  # raw Ed25519


def test_anonymous_is_unauthorized(fed: Federation) -> None:
    for method, path in (("GET", "/agreements"), ("GET", f"/agreements/{fed.deu_ita}"),
                         ("GET", "/keys"), ("DELETE", "/keys/acc_12345678"), ("GET", "/audit"),
                         ("GET", "/audit/verify")):  # fmt: skip
        answer = fed.call(method, path, None)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthorized"
    assert fed.get("/keys", "acc_not-a-key").status_code == 401


def test_agreements_of_the_parties(fed: Federation) -> None:
    def ids(user: str) -> list[int]:
        return [a["id"] for a in fed.get("/agreements", user).json()["items"]]

    assert ids("deu") == ids("ita") == [fed.deu_ita]
    assert ids("root") == [fed.deu_ita, fed.local_fra]  # an administrator: all
    shown = fed.get(f"/agreements/{fed.deu_ita}", "ita").json()
    assert shown == fed.get("/agreements", "deu").json()["items"][0]
    assert (shown["provider"], shown["recipients"], shown["grant"]) == ("DEU", ["ITA"], "full")
    assert shown["data"] == ["element-sets"] and shown["in_force"] is True
    # Not a party: the same 404 as an agreement that does not exist.
    refused = fed.get(f"/agreements/{fed.local_fra}", "deu")
    missing = fed.get("/agreements/99999", "deu")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["error"]["message"].replace(str(fed.local_fra), "N") == missing.json()[
        "error"
    ]["message"].replace("99999", "N")
    assert fed.get(f"/agreements/{fed.local_fra}", "root").json()["grant"] == "derived-only"


def test_keys_are_listed_by_prefix_and_revoked(fed: Federation) -> None:
    second = federation.create_key(fed.store, "deu@example.org", ("read", "submit"))
    answer = fed.get("/keys", "deu")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [k["prefix"] for k in items] == [fed.keys["deu"][:12], second[:12]]
    assert [k["scopes"] for k in items] == [["read"], ["read", "submit"]]
    assert all(k["revoked"] is None and k["created"] for k in items)
    with fed.store.engine.connect() as conn:
        digests = [row.key_sha256 for row in conn.execute(api_keys.select())]
    for secret in (fed.keys["deu"], second, *digests):
        assert secret not in answer.text and secret[12:] not in answer.text
    # Another user's key is missing; it still works.
    other = fed.call("DELETE", f"/keys/{fed.keys['ita'][:12]}", "deu")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert fed.get("/keys", "ita").status_code == 200
    # One's own key: revoked, and the next request with it is refused.
    revoked = fed.call("DELETE", f"/keys/{second[:12]}", "deu")
    assert revoked.status_code == 204 and revoked.content == b""
    assert fed.get("/keys", second).status_code == 401
    after = fed.get("/keys", "deu").json()["items"]
    assert after[0]["revoked"] is None and after[1]["revoked"] is not None
    assert fed.call("DELETE", f"/keys/{second[:12]}", "deu").status_code == 404
    # Even the key that makes the request (an observer may revoke its own key too).
    assert fed.call("DELETE", f"/keys/{fed.keys['ita'][:12]}", "ita").status_code == 204
    assert fed.get("/keys", "ita").json()["error"]["code"] == "unauthorized"
    (entry,) = audit.log(fed.store, action="key.revoke", partner="ITA")
    assert entry.actor == "ita@example.org" and entry.subject == f"api-key:{fed.keys['ita'][:12]}"


def _entries(**filters: Any) -> list[dict[str, Any]]:
    return [asdict(e) for e in audit.log(filters.pop("store"), **filters)]


def _json(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "at": e["at"].isoformat()} for e in entries]


def test_audit_entries_per_partner(fed: Federation) -> None:
    deu = fed.get("/audit", "deu").json()
    assert deu["next_cursor"] is None and deu["items"]
    assert deu["items"] == _json(_entries(store=fed.store, partner="DEU"))
    assert {e["partner"] for e in deu["items"]} == {"DEU"}
    assert fed.get("/audit", "deu", partner="ITA").json()["items"] == []  # not its own
    assert fed.get("/audit", "deu", partner="DEU").json() == deu
    ita = fed.get("/audit", "ita").json()["items"]
    assert {e["partner"] for e in ita} == {"ITA"} and ita != deu["items"]
    everything = _json(_entries(store=fed.store))
    assert {e["partner"] for e in everything} > {"DEU", "ITA", "FRA"}
    assert fed.get("/audit", "root", limit=1000).json()["items"] == everything
    assert fed.get("/audit", "root", partner="ITA").json()["items"] == ita
    keys = fed.get("/audit", "root", action="key.").json()["items"]
    assert keys == _json(_entries(store=fed.store, action="key."))
    assert {e["action"] for e in keys} == {"key.create", "key.partner.add"}
    assert fed.get("/audit", "deu", action="agreement.add").json()["items"] == _json(
        _entries(store=fed.store, partner="DEU", action="agreement.add")
    )


def test_audit_pages_and_times(fed: Federation) -> None:
    everything = _json(_entries(store=fed.store))
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = fed.get("/audit", "root", **params).json()
        pages.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == everything and len(everything) > 6
    middle = datetime.fromisoformat(everything[len(everything) // 2]["at"])
    since = fed.get("/audit", "root", since=middle.isoformat()).json()["items"]
    until = fed.get("/audit", "root", until=middle.isoformat()).json()["items"]
    assert until + since == everything and since and until
    assert all(datetime.fromisoformat(e["at"]) >= middle for e in since)
    zoned = (middle + timedelta(hours=2)).isoformat() + "+02:00"
    assert fed.get("/audit", "root", since=zoned).json()["items"] == since
    assert fed.get("/audit", "root", since="0001-01-01T00:00:00+01:00").status_code == 400
    assert fed.get("/audit", "root", action="50%").status_code == 422


def test_audit_verify_is_for_administrators(fed: Federation) -> None:
    answer = fed.get("/audit/verify", "root")
    assert answer.status_code == 200
    assert answer.json() == {"intact": True, "entries": len(_entries(store=fed.store)),
                             "broken": None}  # fmt: skip
    for user in ("deu", "ita"):
        refused = fed.get("/audit/verify", user)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
