"""Trust primitives: the hash-chained ledger, partner signatures, passwords and API keys.

Pure computations over bytes (the ``cryptography`` package), no I/O:

- ledger entries are canonical JSON; each holds the SHA-256 of the previous entry, so that
  altering, removing or reordering any entry breaks every hash after it
  (:func:`entry_hash`, :func:`verify_chain`);
- partners sign the raw bytes of their submissions with Ed25519 (RFC 8032);
- passwords are stored as Argon2id hashes (RFC 9106; 64 MiB, 3 passes, 4 lanes);
- API keys are random 256-bit tokens shown once and stored as their SHA-256 (a key carries
  its full entropy, so a slow hash adds nothing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

GENESIS = "0" * 64  # the previous hash of the first entry
API_KEY_PREFIX = "acc_"


@dataclass(frozen=True)
class Entry:
    """One ledger entry.

    ``seq``: position (1, 2, ...); ``at``: UTC time; ``actor``: the user or partner that
    acted; ``partner``: the partner concerned; ``action``: what happened (``submission``,
    ``agreement.add``, ``key.revoke``, ``release``...); ``subject``: what it happened to
    (``submission:42``); ``digest``: SHA-256 of the subject's bytes or canonical form;
    ``signature``: the partner's Ed25519 signature over those bytes (base64), if any;
    ``previous``: the previous entry's hash; ``hash``: this entry's.
    """

    seq: int
    at: datetime
    actor: str
    partner: str | None
    action: str
    subject: str
    digest: str
    signature: str | None
    previous: str
    hash: str = ""


def canonical(entry: Entry) -> bytes:
    """The bytes an entry's hash covers: every field but ``hash``, as sorted-key JSON with
    the time in ISO 8601."""
    fields = asdict(entry)
    fields.pop("hash")
    fields["at"] = entry.at.isoformat()
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: Entry) -> str:
    """SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(entry)).hexdigest()


def sealed(entry: Entry) -> Entry:
    """The entry with its hash filled in."""
    return Entry(**{**asdict(entry), "hash": entry_hash(entry)})


def digest(data: bytes) -> str:
    """SHA-256 (hex) of some bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first entry at which the ledger stops verifying, and why."""

    seq: int
    reason: str


def verify_chain(
    entries: Iterable[Entry],
    payload: Callable[[Entry], bytes | None],
    public_keys: Mapping[str, Iterable[bytes]],
    derived: Callable[[Entry, bytes], str | None] | None = None,
) -> Break | None:
    """Recompute the chain in ``seq`` order and return the first broken entry, or None.

    ``payload(entry)`` returns the subject's bytes as stored now (None when the entry has
    no stored subject to check); ``public_keys`` maps a partner code to its raw Ed25519
    public keys (current and revoked: a signature made before a revocation stays valid);
    ``derived(entry, payload)``, once the payload verifies, checks what was stored from it
    (the records of a submission) and returns why they do not match, or None.
    """
    previous = GENESIS
    expected_seq = 1
    for entry in entries:
        if entry.seq != expected_seq:
            return Break(entry.seq, f"sequence: expected {expected_seq}, found {entry.seq}")
        if entry.previous != previous:
            return Break(entry.seq, "previous hash does not match the entry before it")
        if entry_hash(entry) != entry.hash:
            return Break(entry.seq, "entry altered: its hash does not match its content")
        data = payload(entry)
        if data is not None:
            if digest(data) != entry.digest:
                return Break(entry.seq, f"{entry.subject} altered: its bytes do not match")
            if entry.signature is not None:
                keys = list(public_keys.get(entry.partner or "", ()))
                if not any(verify_signature(key, data, entry.signature) for key in keys):
                    return Break(entry.seq, f"{entry.subject}: signature does not verify")
            if derived is not None:
                reason = derived(entry, data)
                if reason is not None:
                    return Break(entry.seq, reason)
        previous = entry.hash
        expected_seq += 1
    return None


@dataclass(frozen=True)
class KeyPair:
    """A partner's Ed25519 key pair: raw 32-byte public key and PEM private key."""

    public: bytes
    private_pem: bytes


def new_key_pair() -> KeyPair:
    """Generate an Ed25519 key pair."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ),
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def sign(private_pem: bytes, data: bytes) -> str:
    """Sign bytes with a PEM Ed25519 private key; return the signature in base64."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return base64.b64encode(key.sign(data)).decode()


def verify_signature(public: bytes, data: bytes, signature: str) -> bool:
    """True if ``signature`` (base64) is the Ed25519 signature of ``data`` by ``public``
    (raw 32 bytes)."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Argon2id hash of a password as ``argon2id$m=65536,t=3,p=4$salt$hash`` (base64)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = Argon2id(salt=salt, length=32, iterations=3, lanes=4, memory_cost=65536)
    derived = key.derive(password.encode())
    encoded_salt = base64.b64encode(salt).decode()
    return f"argon2id$m=65536,t=3,p=4${encoded_salt}${base64.b64encode(derived).decode()}"


def check_password(password: str, stored: str) -> bool:
    """True if ``password`` matches a hash from :func:`hash_password`."""
    try:
        scheme, params, salt, expected = stored.split("$")
        settings = dict(item.split("=") for item in params.split(","))
        if scheme != "argon2id":
            return False
        key = Argon2id(
            salt=base64.b64decode(salt),
            length=32,
            iterations=int(settings["t"]),
            lanes=int(settings["p"]),
            memory_cost=int(settings["m"]),
        )
        derived = key.derive(password.encode())
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(expected))


def new_api_key() -> str:
    """A new API key: the prefix and 43 URL-safe characters (256 random bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    """What is stored of an API key: its SHA-256 (hex)."""
    return hashlib.sha256(key.encode()).hexdigest()
