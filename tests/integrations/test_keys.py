"""The keyring from settings: configured keys, the dev fallback, and fail-fast parsing for production."""

from __future__ import annotations

import base64

import pytest

from integrations.crypto import CryptoConfigError, DecryptionError, generate_keyring_entry
from integrations.keys import (
    decrypt_field,
    encrypt_field,
    field_fingerprint,
    field_needs_rotation,
    get_keyring,
    parse_fingerprint_key,
    parse_keyring,
)

AAD = {"owner_id": "u1", "collection": "api_keys", "record_id": "r1", "field": "encrypted_key"}


def test_dev_keyring_when_allowed(settings):
    settings.SENTIMATRIX_FIELD_KEYS = ""
    assert get_keyring().primary_id == "dev"
    token = encrypt_field("secret", **AAD)
    assert decrypt_field(token, **AAD) == "secret"


def test_no_keys_and_no_dev_fallback_refuses(settings):
    settings.SENTIMATRIX_FIELD_KEYS = ""
    settings.SENTIMATRIX_ALLOW_DEV_FIELD_KEYS = False
    with pytest.raises(CryptoConfigError, match="SENTIMATRIX_FIELD_KEYS is not set"):
        get_keyring()
    settings.FIELD_FINGERPRINT_KEY = ""
    with pytest.raises(CryptoConfigError, match="FIELD_FINGERPRINT_KEY"):
        field_fingerprint("x")


def test_configured_keyring_and_rotation_flag(settings):
    k1, k2 = generate_keyring_entry("k1"), generate_keyring_entry("k2")
    settings.SENTIMATRIX_FIELD_KEYS = k1
    settings.SENTIMATRIX_FIELD_KEY_PRIMARY = "k1"
    old = encrypt_field("secret", **AAD)
    assert old.startswith("v1:k1:") and not field_needs_rotation(old)
    settings.SENTIMATRIX_FIELD_KEYS = f"{k1},{k2}"
    settings.SENTIMATRIX_FIELD_KEY_PRIMARY = "k2"
    assert field_needs_rotation(old)
    assert decrypt_field(old, **AAD) == "secret"  # old versions still decrypt
    settings.SENTIMATRIX_FIELD_KEYS = k2
    with pytest.raises(DecryptionError, match="unknown key id"):
        decrypt_field(old, **AAD)


@pytest.mark.parametrize(
    "keys,primary,message",
    [
        ("", "k1", "empty"),
        ("k1:notbase64!!", "k1", "base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "k1", "AES-256"),
        (generate_keyring_entry("k1"), "k9", "not in the keyring"),
    ],
)
def test_parse_keyring_fails_fast(keys, primary, message):
    with pytest.raises(CryptoConfigError, match=message):
        parse_keyring(keys, primary)


def test_parse_fingerprint_key():
    assert len(parse_fingerprint_key(base64.b64encode(b"x" * 32).decode())) == 32
    for bad in ("", "%%%", base64.b64encode(b"short").decode()):
        with pytest.raises(CryptoConfigError):
            parse_fingerprint_key(bad)


def test_fingerprint_is_keyed(settings):
    settings.FIELD_FINGERPRINT_KEY = base64.b64encode(b"a" * 32).decode()
    one = field_fingerprint("sk-123")
    settings.FIELD_FINGERPRINT_KEY = base64.b64encode(b"b" * 32).decode()
    assert field_fingerprint("sk-123") != one
    assert len(one) == 64
