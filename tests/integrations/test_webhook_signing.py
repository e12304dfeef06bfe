import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.webhooks.signing import (
    MAX_PAYLOAD_BYTES,
    PayloadTooLarge,
    SignatureError,
    encode_body,
    generate_secret,
    new_message_id,
    sign,
    signature_header,
    verify,
)

# Fixed secrets so expected values are reproducible; the first is the Standard Webhooks spec test secret.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_" + base64.b64encode(b"\x07" * 32).decode()
NOW = 1_700_000_000


def independent_verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = 300) -> bool:
    """A consumer-side verifier written from the spec with hmac/hashlib only (does not use signing.py)."""
    msg_id = headers["webhook-id"]
    timestamp = int(headers["webhook-timestamp"])
    if abs(now - timestamp) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    for entry in headers["webhook-signature"].split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected):
            return True
    return False


def delivery(secrets: list[str], body: bytes, ts: int = NOW, msg_id: str = "msg_p5jXN8AQM9LWM0D4loKWxJek"):
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature_header(secrets, msg_id, ts, body),
    }


def test_matches_standard_webhooks_spec_vector():
    # Example from the Standard Webhooks spec / reference libraries (svix test vectors).
    body = b'{"test": 2432232314}'
    signature = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generated_secret_shape_and_uniqueness():
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first[len("whsec_") :])) == 32


def test_message_ids_are_unique_and_dot_free():
    ids = {new_message_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("msg_") and "." not in i for i in ids)


def test_independent_verifier_accepts_our_signatures():
    body = encode_body(
        "job.completed", {"job_id": "j1", "count": 3}, datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    )
    headers = delivery([SECRET], body)
    assert independent_verify(SECRET, headers, body, now=NOW)
    verify([SECRET], headers, body, now=NOW)  # and our own verifier agrees


def test_replayed_delivery_fails_both_verifiers():
    body = b'{"type":"job.completed"}'
    headers = delivery([SECRET], body, ts=NOW - 301)
    assert not independent_verify(SECRET, headers, body, now=NOW)
    with pytest.raises(SignatureError, match="tolerance"):
        verify([SECRET], headers, body, now=NOW)
    # Future-dated timestamps are equally suspect.
    with pytest.raises(SignatureError, match="tolerance"):
        verify([SECRET], delivery([SECRET], body, ts=NOW + 301), body, now=NOW)
    # Just inside the window is fine.
    verify([SECRET], delivery([SECRET], body, ts=NOW - 300), body, now=NOW)


@pytest.mark.parametrize("position", [0, 10, -1])
def test_one_altered_byte_fails_both_verifiers(position):
    body = b'{"type":"results.new","data":{"count":12}}'
    headers = delivery([SECRET], body)
    altered = bytearray(body)
    altered[position] ^= 0x01
    assert not independent_verify(SECRET, headers, bytes(altered), now=NOW)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify([SECRET], headers, bytes(altered), now=NOW)


def test_changed_message_id_or_timestamp_breaks_signature():
    body = b"{}"
    headers = delivery([SECRET], body)
    forged = dict(headers, **{"webhook-id": "msg_other"})
    assert not independent_verify(SECRET, forged, body, now=NOW)
    shifted = dict(headers, **{"webhook-timestamp": str(NOW + 1)})
    assert not independent_verify(SECRET, shifted, body, now=NOW)
    with pytest.raises(SignatureError):
        verify([SECRET], shifted, body, now=NOW)


def test_rotation_header_carries_both_and_each_consumer_secret_verifies():
    body = b'{"a":1}'
    headers = delivery([SECRET, OLD_SECRET], body)
    first, second = headers["webhook-signature"].split(" ")
    assert first == sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", NOW, body)  # current first
    assert second == sign(OLD_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", NOW, body)
    assert independent_verify(SECRET, headers, body, now=NOW)
    assert independent_verify(OLD_SECRET, headers, body, now=NOW)
    verify([OLD_SECRET], headers, body, now=NOW)
    unrelated = generate_secret()
    assert not independent_verify(unrelated, headers, body, now=NOW)
    with pytest.raises(SignatureError):
        verify([unrelated], headers, body, now=NOW)


def test_verify_header_names_are_case_insensitive_and_missing_headers_fail():
    body = b"{}"
    headers = {k.upper(): v for k, v in delivery([SECRET], body).items()}
    verify([SECRET], headers, body, now=NOW)
    with pytest.raises(SignatureError, match="missing"):
        verify([SECRET], {"webhook-id": "msg_x"}, body, now=NOW)
    with pytest.raises(SignatureError, match="unix seconds"):
        verify([SECRET], dict(delivery([SECRET], body), **{"webhook-timestamp": "1e9"}), body, now=NOW)


def test_sign_rejects_ids_with_dots_and_bad_secrets():
    with pytest.raises(ValueError, match="message id"):
        sign(SECRET, "msg.1", NOW, b"")
    with pytest.raises(ValueError, match="bytes"):
        sign("whsec_" + base64.b64encode(b"short").decode(), "msg_1", NOW, b"")
    with pytest.raises(ValueError, match="base64"):
        sign("whsec_***", "msg_1", NOW, b"")
    with pytest.raises(ValueError):
        signature_header([], "msg_1", NOW, b"")


def test_encode_body_is_compact_deterministic_json():
    moment = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=timezone(timedelta(hours=2)))
    body = encode_body("job.progress", {"job_id": "j1", "percent": 40, "name": "café"}, moment)
    assert body == (
        b'{"type":"job.progress","timestamp":"2025-03-04T03:06:07.000890Z",'
        b'"data":{"job_id":"j1","percent":40,"name":"caf\xc3\xa9"}}'
    )
    assert encode_body("job.progress", {"job_id": "j1", "percent": 40, "name": "café"}, moment) == body
    assert json.loads(body)["data"]["name"] == "café"


def test_encode_body_guards():
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_body("job.started", {}, datetime(2025, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError):
        encode_body("job.started", {"x": float("nan")}, datetime(2025, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(PayloadTooLarge):
        encode_body("results.new", {"blob": "x" * MAX_PAYLOAD_BYTES}, datetime(2025, 1, 1, tzinfo=timezone.utc))


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=2048), ts=st.integers(min_value=0, max_value=2**40))
def test_signatures_always_verify_independently(body, ts):
    headers = delivery([SECRET], body, ts=ts)
    assert independent_verify(SECRET, headers, body, now=ts)
