"""Transport tests against a real HTTP(S) server on 127.0.0.1 in a thread. No external network is used."""

import datetime as dt
import itertools
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.webhooks.ssrf import ValidatedUrl, vet_destination
from integrations.webhooks.transport import MAX_READ_BYTES, deliver, send_pinned

NOW = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
PUBLIC_V4 = "93.184.216.34"
SIGNED_HEADERS = {
    "webhook-id": "msg_abc",
    "webhook-timestamp": "1700000000",
    "webhook-signature": "v1,c2ln",
    "content-type": "application/json",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):  # keep test output clean
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        stop: threading.Event = self.server.stop_event
        if url.path == "/ok":
            self._reply(200, b"thanks")
        elif url.path == "/status":
            extra = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
            self._reply(int(query["code"]), b"status body", extra)
        elif url.path == "/redirect":
            self._reply(302, b"", {"Location": "/ok"})
        elif url.path == "/big":
            self._reply(200, b"a" * 10_000 + "é".encode() * 100_000)
        elif url.path == "/endless":
            # Chunked body that never ends: only the read cap or the deadline can stop the client.
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"z" * 1024
            try:
                for _ in range(50_000):  # bounded so a broken client cannot keep this thread alive forever
                    if stop.is_set():
                        break
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass  # the client hung up, as it should
            self.close_connection = True
        elif url.path == "/hang":
            stop.wait(30)  # never answers while the test runs; released at teardown
            self.close_connection = True
        else:
            self._reply(404)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-response is what several tests provoke on purpose


class Receiver:
    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.requests = []
        self.server.stop_event = threading.Event()
        self.sni: list[str | None] = []
        if tls_context is not None:
            tls_context.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def requests(self) -> list[dict]:
        return self.server.requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.stop_event.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def loopback_resolver(calls: list | None = None):
    def resolve(host, port, type=0, **_):  # noqa: A002 - mirrors getaddrinfo
        if calls is not None:
            calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    return resolve


def post(receiver, path, **kwargs):
    kwargs.setdefault("headers", SIGNED_HEADERS)
    kwargs.setdefault("body", b'{"type":"webhook.test"}')
    kwargs.setdefault("resolver", loopback_resolver())
    kwargs.setdefault("allow_http_localhost", True)
    kwargs.setdefault("now", lambda: NOW)
    return deliver(f"http://localhost:{receiver.port}{path}", **kwargs)


# --- plain HTTP through the dev loopback allowance ------------------------------------------------------


def test_success_sends_exact_bytes_and_headers(receiver):
    calls: list[str] = []
    body = b'{"type":"job.completed","data":{"id":"j1"}}'
    outcome = post(
        receiver, "/ok", body=body, resolver=loopback_resolver(calls), headers={**SIGNED_HEADERS, "Host": "evil"}
    )
    assert outcome.status_code == 200 and outcome.result == "success"
    assert outcome.error is None and outcome.blocked is False
    assert outcome.body_excerpt == "thanks" and outcome.truncated is False
    assert outcome.address == "127.0.0.1"
    assert calls == ["localhost"]  # resolved exactly once, at delivery
    [request] = receiver.requests
    assert request["body"] == body
    assert request["headers"]["Host"] == f"localhost:{receiver.port}"  # caller's Host header is ignored
    assert request["headers"]["webhook-id"] == "msg_abc"
    assert request["headers"]["webhook-signature"] == "v1,c2ln"
    assert request["headers"]["Content-Length"] == str(len(body))
    assert request["headers"]["User-Agent"] == "Sentimatrix-Webhooks/1"


@pytest.mark.parametrize(
    ("query", "status", "result", "retry_after"),
    [
        ("code=204", 204, "success", None),
        ("code=410", 410, "gone", None),
        ("code=500", 500, "failure", None),
        ("code=503&retry_after=120", 503, "failure", 120.0),
        ("code=429&retry_after=Sun,%2001%20Jun%202025%2012:10:00%20GMT", 429, "failure", 600.0),
        ("code=429&retry_after=later", 429, "failure", None),
    ],
)
def test_status_codes_and_retry_after(receiver, query, status, result, retry_after):
    outcome = post(receiver, f"/status?{query}")
    assert (outcome.status_code, outcome.result, outcome.retry_after) == (status, result, retry_after)
    assert outcome.error is None


def test_redirect_is_not_followed(receiver):
    outcome = post(receiver, "/redirect")
    assert outcome.status_code == 302 and outcome.result == "failure"
    assert outcome.headers["location"] == "/ok"
    assert [r["path"] for r in receiver.requests] == ["/redirect"]


def test_body_excerpt_is_truncated(receiver):
    outcome = post(receiver, "/big")
    assert outcome.status_code == 200 and outcome.error is None
    assert outcome.truncated is True
    assert outcome.body_excerpt == "a" * 4096
    small = post(receiver, "/big", max_body=10_001)  # cut inside a 2-byte character: replaced, not crashing
    assert small.body_excerpt == "a" * 10_000 + "\ufffd"


def test_endless_body_stops_at_read_cap_not_deadline(receiver):
    outcome = post(receiver, "/endless", total_timeout=10)
    # Without the 64 KiB cap this would only end at the 10 s deadline with a timeout error.
    assert outcome.status_code == 200 and outcome.error is None
    assert outcome.truncated is True and outcome.result == "success"
    assert len(outcome.body_excerpt) == 4096
    assert MAX_READ_BYTES == 64 * 1024


def test_total_deadline_stops_a_response_that_keeps_coming(receiver):
    # Every read succeeds at once, so per-read timeouts never fire; only the total deadline can stop this.
    # A fake clock that advances 50 ms per look makes the deadline arrive after a few reads, without waiting.
    ticks = itertools.count()
    outcome = post(receiver, "/endless", total_timeout=1.0, max_read=10**12, clock=lambda: next(ticks) * 0.05)
    assert outcome.status_code == 200
    assert outcome.error is not None and outcome.error.startswith("timeout")
    assert outcome.result == "failure"


def test_hanging_receiver_times_out_instead_of_hanging(receiver):
    outcome = post(receiver, "/hang", connect_timeout=0.3, total_timeout=0.3)
    assert outcome.status_code is None
    assert outcome.error is not None and outcome.error.startswith("timeout")
    assert outcome.elapsed_ms < 5_000
    assert outcome.result == "failure" and outcome.blocked is False


def test_connection_refused_is_a_failure_not_a_crash():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = deliver(
        f"http://127.0.0.1:{port}/x", headers={}, body=b"{}", allow_http_localhost=True, resolver=loopback_resolver()
    )
    assert outcome.status_code is None and outcome.error.startswith("connect_error")


# --- the SSRF guard at delivery time --------------------------------------------------------------------


def test_loopback_refused_without_dev_flag(receiver):
    outcome = post(receiver, "/ok", allow_http_localhost=False)
    assert outcome.blocked is True and outcome.status_code is None
    assert outcome.result == "failure"
    assert receiver.requests == []


def test_public_then_private_resolver_is_blocked_at_delivery():
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])

    def rebinding(host, port, type=0, **_):  # noqa: A002
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    url = "https://rebind.example.com/hook"
    _, addresses = vet_destination(url, allow_http_localhost=False, resolver=rebinding)
    assert addresses == [PUBLIC_V4]  # registration passes
    outcome = deliver(url, headers=SIGNED_HEADERS, body=b"{}", allow_http_localhost=False, resolver=rebinding)
    assert outcome.blocked is True
    assert "127.0.0.1" in outcome.error
    assert outcome.address is None and outcome.status_code is None


def test_stored_url_failing_current_rules_is_blocked():
    outcome = deliver("https://0x7f.1/", headers={}, body=b"{}", allow_http_localhost=False)
    assert outcome.blocked is True and outcome.error.startswith("blocked:")


def test_dns_failure_is_reported_but_not_blocked():
    def failing(*_a, **_k):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    outcome = deliver("https://gone.example.com/", headers={}, body=b"{}", allow_http_localhost=False, resolver=failing)
    assert outcome.blocked is False and outcome.error.startswith("dns:")


# --- pinning: connect to the vetted IP, keep the hostname for Host, SNI and certificate checks -----------


def _make_pki(tmp_path, hostname: str):
    """A throwaway CA and a server certificate for ``hostname``."""

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    end = start + dt.timedelta(days=7)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("test ca"))
        .issuer_name(name("test ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(name(hostname))
        .issuer_name(ca_cert.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    client_ctx = ssl.create_default_context(cadata=ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    return server_ctx, client_ctx


@pytest.fixture
def tls_receiver(tmp_path):
    server_ctx, client_ctx = _make_pki(tmp_path, "receiver.test")
    with Receiver(server_ctx) as running:
        running.client_ctx = client_ctx
        yield running


def test_https_connects_to_vetted_ip_with_hostname_for_host_sni_and_cert(tls_receiver):
    # "receiver.test" resolves nowhere: the request can only arrive because the socket goes to the pinned IP.
    validated = ValidatedUrl("https", "receiver.test", tls_receiver.port, "/ok?x=1")
    outcome = send_pinned(
        validated, ["127.0.0.1"], headers=SIGNED_HEADERS, body=b"{}", ssl_context=tls_receiver.client_ctx
    )
    assert outcome.error is None and outcome.status_code == 200
    assert outcome.address == "127.0.0.1"
    assert tls_receiver.sni == ["receiver.test"]
    [request] = tls_receiver.requests
    assert request["headers"]["Host"] == f"receiver.test:{tls_receiver.port}"
    assert request["path"] == "/ok?x=1"


def test_certificate_is_verified_against_the_hostname(tls_receiver):
    validated = ValidatedUrl("https", "other.test", tls_receiver.port, "/ok")
    outcome = send_pinned(validated, ["127.0.0.1"], headers={}, body=b"{}", ssl_context=tls_receiver.client_ctx)
    assert outcome.status_code is None
    assert outcome.error.startswith("tls_error") and "certificate" in outcome.error.lower()
    assert tls_receiver.requests == []


def test_certificate_verification_is_on_by_default(tls_receiver):
    validated = ValidatedUrl("https", "receiver.test", tls_receiver.port, "/ok")
    outcome = send_pinned(validated, ["127.0.0.1"], headers={}, body=b"{}")  # public CA bundle: test CA unknown
    assert outcome.error.startswith("tls_error") and "verify failed" in outcome.error
    assert tls_receiver.requests == []


def test_falls_back_to_next_vetted_address(receiver):
    # Nothing listens on 127.0.0.2, so the first vetted address is refused and the second one is used.
    validated = ValidatedUrl("http", "localhost", receiver.port, "/ok", loopback_dev=True)
    outcome = send_pinned(validated, ["127.0.0.2", "127.0.0.1"], headers={}, body=b"{}")
    assert outcome.error is None and outcome.status_code == 200
    assert outcome.address == "127.0.0.1"
    assert len(receiver.requests) == 1
