import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.crypto import (
    AssociatedData,
    CryptoConfigError,
    DecryptionError,
    Keyring,
    decrypt,
    encrypt,
    fingerprint,
    generate_keyring_entry,
    key_id_of,
    mask_key,
    needs_rotation,
    reencrypt,
)

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
AAD = AssociatedData(owner_id="tenant-a", collection="provider_keys", record_id="65f0c0ffee", field="api_key")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def ring(primary: str = "k1") -> Keyring:
    return Keyring.from_config(f"k1:{b64(OLD_KEY)}, k2:{b64(NEW_KEY)}", primary)


# --- keyring configuration -------------------------------------------------------------------------------


def test_keyring_parses_ids_and_keys():
    keyring = ring("k2")
    assert keyring.key_ids == {"k1", "k2"}
    assert keyring.primary() == ("k2", NEW_KEY)
    assert keyring.get("k1") == OLD_KEY


def test_keyring_repr_never_shows_key_material():
    text = repr(ring())
    assert b64(OLD_KEY) not in text and str(OLD_KEY) not in text
    assert "k1" in text


@pytest.mark.parametrize(
    ("keys", "primary", "message"),
    [
        (f"k1:{b64(bytes(16))}", "k1", "decodes to 16 bytes"),
        (f"k1:{b64(bytes(33))}", "k1", "decodes to 33 bytes"),
        (f"k1:{b64(OLD_KEY)},k1:{b64(NEW_KEY)}", "k1", "more than once"),
        (f"k1:{b64(OLD_KEY)}", "k9", "not in the keyring"),
        (f"k1:{b64(OLD_KEY)}", "", "PRIMARY is empty"),
        ("", "k1", "FIELD_KEYS is empty"),
        (f"k1:{b64(OLD_KEY)},", "k1", "entry 2 is empty"),
        (b64(OLD_KEY), "k1", "not 'id:base64key'"),
        ("k1:not base64!!", "k1", "not valid base64"),
        (f"bad|id:{b64(OLD_KEY)}", "bad|id", "must be 1-32 characters"),
    ],
)
def test_keyring_fails_fast_with_clear_message(keys, primary, message):
    with pytest.raises(CryptoConfigError, match=message):
        Keyring.from_config(keys, primary)


def test_keyring_constructor_validates_too():
    with pytest.raises(CryptoConfigError, match="exactly 32 bytes"):
        Keyring(keys={"k1": b"short"}, primary_id="k1")


def test_generated_entry_is_a_valid_keyring_and_unique():
    first, second = generate_keyring_entry("main"), generate_keyring_entry()
    keyring = Keyring.from_config(f"{first},{second}", "main")
    assert len(keyring.get("main")) == 32
    assert first.split(":")[1] != second.split(":")[1]
    assert second.split(":")[0].startswith("k")


# --- encryption -----------------------------------------------------------------------------------------


def test_round_trip_and_stored_format():
    token = encrypt("sk-proj-secret-value-1234", aad=AAD, keyring=ring())
    version, key_id, blob = token.split(":")
    assert (version, key_id) == ("v1", "k1")
    raw = base64.b64decode(blob)
    assert len(raw) == 12 + len("sk-proj-secret-value-1234") + 16  # nonce || ciphertext || tag
    assert decrypt(token, aad=AAD, keyring=ring()) == "sk-proj-secret-value-1234"


def test_token_is_standard_aes_gcm_with_documented_aad():
    """Decrypt with AESGCM directly to pin the format other tools (or a future migration) rely on."""
    token = encrypt("hello", aad=AAD, keyring=ring())
    raw = base64.b64decode(token.split(":")[2])
    aad = b"tenant-a|provider_keys|65f0c0ffee|api_key|k1"
    assert AESGCM(OLD_KEY).decrypt(raw[:12], raw[12:], aad) == b"hello"


def test_fresh_nonce_every_time():
    tokens = {encrypt("same", aad=AAD, keyring=ring()) for _ in range(50)}
    nonces = {base64.b64decode(t.split(":")[2])[:12] for t in tokens}
    assert len(tokens) == 50 and len(nonces) == 50


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


@pytest.mark.parametrize("part", ["nonce", "ciphertext", "tag"])
def test_tampering_with_each_binary_part_fails(part):
    token = encrypt("top secret", aad=AAD, keyring=ring())
    prefix, blob = token.rsplit(":", 1)
    raw = base64.b64decode(blob)
    index = {"nonce": 3, "ciphertext": 12 + 2, "tag": len(raw) - 1}[part]
    tampered = f"{prefix}:{b64(_flip(raw, index))}"
    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt(tampered, aad=AAD, keyring=ring())


def test_tampering_with_version_fails():
    token = encrypt("x", aad=AAD, keyring=ring())
    with pytest.raises(DecryptionError, match="unsupported token version"):
        decrypt("v2" + token[2:], aad=AAD, keyring=ring())


def test_swapping_key_id_fails_even_though_the_id_exists():
    token = encrypt("x", aad=AAD, keyring=ring())
    swapped = token.replace(":k1:", ":k2:")
    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt(swapped, aad=AAD, keyring=ring())


def test_unknown_key_id():
    token = encrypt("x", aad=AAD, keyring=ring())
    only_new = Keyring.from_config(f"k2:{b64(NEW_KEY)}", "k2")
    with pytest.raises(DecryptionError, match="unknown key id 'k1'"):
        decrypt(token, aad=AAD, keyring=only_new)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "expected 'v1:<key_id>:<base64>'"),
        ("v1:k1", "expected 'v1:<key_id>:<base64>'"),
        ("v1:k1:abc:def", "expected 'v1:<key_id>:<base64>'"),
        ("v1:k1:!!!!", "not valid base64"),
        (f"v1:k1:{b64(bytes(27))}", "too short"),
        (f"v1::{b64(bytes(40))}", "invalid key id"),
    ],
)
def test_malformed_tokens(token, message):
    with pytest.raises(DecryptionError, match=message):
        decrypt(token, aad=AAD, keyring=ring())


@pytest.mark.parametrize(
    "other",
    [
        AssociatedData("tenant-b", "provider_keys", "65f0c0ffee", "api_key"),  # wrong owner
        AssociatedData("tenant-a", "provider_keys", "65f0c0ffef", "api_key"),  # wrong record
        AssociatedData("tenant-a", "provider_keys", "65f0c0ffee", "oauth_token"),  # wrong field
        AssociatedData("tenant-a", "webhook_endpoints", "65f0c0ffee", "api_key"),  # wrong collection
    ],
    ids=["owner", "record", "field", "collection"],
)
def test_ciphertext_is_bound_to_owner_record_field(other):
    token = encrypt("sk-live-abcdef", aad=AAD, keyring=ring())
    with pytest.raises(DecryptionError, match="different owner, record or field"):
        decrypt(token, aad=other, keyring=ring())


@pytest.mark.parametrize("bad", ["", "a|b"])
def test_associated_data_rejects_ambiguous_parts(bad):
    with pytest.raises(ValueError, match="owner_id"):
        AssociatedData(owner_id=bad, collection="c", record_id="r", field="f")


# --- rotation -------------------------------------------------------------------------------------------


def test_rotation_from_old_key_to_new_primary():
    old_token = encrypt("sk-ant-rotate-me-0001", aad=AAD, keyring=ring("k1"))
    rotated_ring = ring("k2")  # steps 1-3: new key added, deployed, promoted
    assert key_id_of(old_token) == "k1"
    assert needs_rotation(old_token, rotated_ring) is True

    new_token = reencrypt(old_token, aad=AAD, keyring=rotated_ring)
    assert key_id_of(new_token) == "k2"
    assert needs_rotation(new_token, rotated_ring) is False
    # Step 6: the old key is destroyed; the re-encrypted value still decrypts.
    only_new = Keyring.from_config(f"k2:{b64(NEW_KEY)}", "k2")
    assert decrypt(new_token, aad=AAD, keyring=only_new) == "sk-ant-rotate-me-0001"
    # Idempotent: a token already under the primary is returned unchanged (compare-and-set stays a no-op).
    assert reencrypt(new_token, aad=AAD, keyring=rotated_ring) == new_token


def test_reencrypt_refuses_a_token_bound_elsewhere():
    token = encrypt("x", aad=AAD, keyring=ring("k1"))
    other = AssociatedData("tenant-b", "provider_keys", "65f0c0ffee", "api_key")
    with pytest.raises(DecryptionError):
        reencrypt(token, aad=other, keyring=ring("k2"))


@settings(max_examples=200, deadline=None)
@given(
    plaintext=st.text(),
    owner=st.text(alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), min_size=1),
    record=st.text(alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), min_size=1),
)
def test_round_trip_property(plaintext, owner, record):
    # ids and field names are text; a lone surrogate has no UTF-8 form and is refused up front
    # (test_associated_data_refuses_lone_surrogates)
    aad = AssociatedData(owner, "provider_keys", record, "api_key")
    token = encrypt(plaintext, aad=aad, keyring=ring())
    assert decrypt(token, aad=aad, keyring=ring()) == plaintext
    assert decrypt(reencrypt(token, aad=aad, keyring=ring("k2")), aad=aad, keyring=ring("k2")) == plaintext


# --- hints and fingerprints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("sk-proj-AbCdEfGhIjKlMnOpabc1", "sk-\u2026abc1"),
        ("xoxb-123456789012-abcdWXYZ", "xoxb-\u2026WXYZ"),
        ("AIzaSyA1234567890abcdefgh", "AIz\u2026efgh"),  # no dash: first 3 characters
        ("3f2a9c1e-7b6d-4e5f-8a9b-0c1d2e3f4a5b", "3f2\u20264a5b"),  # dash too far in
        ("short-key-123456", "\u20263456"),  # under 20 characters: last 4 only
        ("abcdefghi", "\u2026fghi"),
        ("12345678", "\u2026"),  # 8 or fewer: nothing revealed
    ],
)
def test_mask_key(key, hint):
    assert mask_key(key) == hint


def test_mask_key_rejects_empty():
    with pytest.raises(ValueError):
        mask_key("")


def test_fingerprint_is_keyed_hmac_sha256():
    key = b"f" * 32
    expected = hmac.new(key, b"sk-live-1", hashlib.sha256).hexdigest()
    assert fingerprint("sk-live-1", key) == expected
    assert fingerprint("sk-live-1", b"g" * 32) != expected
    assert fingerprint("sk-live-1", key) != hashlib.sha256(b"sk-live-1").hexdigest()
    with pytest.raises(CryptoConfigError):
        fingerprint("sk-live-1", b"short")


def test_associated_data_refuses_lone_surrogates():
    with pytest.raises(ValueError, match="valid Unicode"):
        AssociatedData("owner", "provider_keys", "\ud800", "api_key")
