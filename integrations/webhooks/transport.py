"""One webhook delivery attempt over HTTP, with the SSRF guard applied at delivery time (security.md 1.5, 1.6).

``deliver`` validates the URL, resolves it with :func:`~integrations.webhooks.ssrf.resolve_destination`
NOW (not at registration), and then connects to one of the vetted IP addresses while keeping the hostname
for the ``Host`` header, TLS SNI and certificate verification. The socket is opened by a small httpcore
network backend that ignores the hostname it is handed and dials the vetted addresses instead, so nothing
resolves the name a second time between check and connect (DNS rebinding).

httpcore is used directly rather than through httpx because httpx's transport does not accept a network
backend, and httpcore neither follows redirects nor reads proxy settings from the environment - both would
bypass the guard. A total deadline is enforced by the backend: every socket operation gets
``min(its own timeout, time left)``, so a server that drips one byte at a time still ends at the deadline.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import certifi
import httpcore

from .retry import Classification, classify_response, parse_retry_after
from .ssrf import (
    DEFAULT_ALLOWED_PORTS,
    ResolutionFailed,
    Resolver,
    UnsafeUrl,
    ValidatedUrl,
    resolve_destination,
    validate_url,
)

__all__ = ["DEFAULT_USER_AGENT", "MAX_READ_BYTES", "DeliveryOutcome", "deliver", "send_pinned"]

DEFAULT_USER_AGENT = "Sentimatrix-Webhooks/1"
MAX_READ_BYTES = 64 * 1024
# Headers the transport owns: Host must name the vetted hostname, and the framing headers must describe
# the bytes actually sent.
_OWNED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened on one attempt. Exactly one of ``status_code`` / ``error`` explains the result.

    ``error`` is set for anything that prevented a complete exchange (blocked, DNS, connect, TLS,
    timeout, protocol); it may accompany a ``status_code`` when the response body failed mid-read.
    ``blocked`` marks an SSRF-guard refusal, which the caller records as a security audit event.
    """

    status_code: int | None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    body_excerpt: str = ""
    elapsed_ms: int = 0
    error: str | None = None
    retry_after: float | None = None
    blocked: bool = False
    address: str | None = None
    """The IP address the request went to (None when nothing was sent)."""
    truncated: bool = False
    """True when the response body was longer than the excerpt or the read cap."""

    @property
    def result(self) -> Classification:
        """``success`` only for a 2xx with no error; ``gone`` for 410; everything else ``failure``."""
        if self.status_code == 410:
            return "gone"
        if self.blocked or self.error is not None or self.status_code is None:
            return "failure"
        return classify_response(self.status_code)


class _DeadlineStream(httpcore.NetworkStream):
    """Wraps a stream so no read, write or TLS handshake can outlive the total deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float, clock: Callable[[], float]) -> None:
        self._inner = inner
        self._deadline = deadline
        self._clock = clock

    def _budget(self, timeout: float | None, exc: type[Exception]) -> float:
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise exc("total deadline exceeded")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout=self._budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout=self._budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._budget(timeout, httpcore.ConnectTimeout)
        upgraded = self._inner.start_tls(ssl_context, server_hostname=server_hostname, timeout=budget)
        return _DeadlineStream(upgraded, self._deadline, self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Dials only the vetted addresses for the one hostname this delivery is for."""

    def __init__(
        self,
        host: str,
        addresses: Sequence[str],
        deadline: float,
        clock: Callable[[], float],
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._host = host
        # IPv4 first (stable, otherwise in the given order): many workers have no IPv6 route, and a failed
        # attempt there only spends deadline.
        self._addresses = sorted(addresses, key=lambda a: ":" in a)
        self._deadline = deadline
        self._clock = clock
        self._inner = inner or httpcore.SyncBackend()
        self.connected_to: str | None = None

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:  # only reachable if something tried a host we never vetted
            raise httpcore.ConnectError(f"refusing to connect to unvetted host {host!r}")
        last_error: Exception = httpcore.ConnectError("no vetted address")
        for address in self._addresses:
            remaining = self._deadline - self._clock()
            if remaining <= 0:
                raise httpcore.ConnectTimeout("total deadline exceeded")
            budget = remaining if timeout is None else min(timeout, remaining)
            try:
                stream = self._inner.connect_tcp(
                    address, port, timeout=budget, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            self.connected_to = address
            return _DeadlineStream(stream, self._deadline, self._clock)
        raise last_error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never a webhook destination")

    def sleep(self, seconds: float) -> None:
        # httpcore sleeps only between connect retries, which the pool is configured not to make.
        raise httpcore.ConnectError("connect retries are disabled")


def _default_ssl_context() -> ssl.SSLContext:
    # Certificate and hostname verification are on (create_default_context) and never switched off here.
    return ssl.create_default_context(cafile=certifi.where())


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpcore.TimeoutException):
        return f"timeout: {exc or 'no response within the deadline'}"
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, httpcore.ConnectError) and isinstance(cause, ssl.SSLError):
        return f"tls_error: {cause}"
    if isinstance(exc, httpcore.ConnectError):
        return f"connect_error: {exc}"
    if isinstance(exc, httpcore.ProtocolError):
        return f"protocol_error: {exc}"
    return f"network_error: {exc}"


def _request_headers(headers: Mapping[str, str], validated: ValidatedUrl) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = [(b"Host", validated.authority.encode("ascii"))]
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _OWNED_HEADERS:
            continue
        seen.add(lowered)
        out.append((name.encode("latin-1"), value.encode("latin-1")))
    if "user-agent" not in seen:
        out.append((b"User-Agent", DEFAULT_USER_AGENT.encode("ascii")))
    return out


def _response_headers(raw: Iterable[tuple[bytes, bytes]]) -> MappingProxyType[str, str]:
    merged: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return MappingProxyType(merged)


def send_pinned(
    validated: ValidatedUrl,
    addresses: Sequence[str],
    *,
    headers: Mapping[str, str],
    body: bytes,
    connect_timeout: float = 5.0,
    total_timeout: float = 15.0,
    max_body: int = 4096,
    max_read: int = MAX_READ_BYTES,
    ssl_context: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    started_at: float | None = None,
) -> DeliveryOutcome:
    """POST ``body`` to already-vetted ``addresses`` for ``validated``; never raises for network trouble.

    Only :func:`deliver` (or code that has just run the SSRF checks itself) should call this.
    """
    start = clock() if started_at is None else started_at
    deadline = start + total_timeout
    backend = _PinnedBackend(validated.host, addresses, deadline, clock)
    url = httpcore.URL(
        scheme=validated.scheme.encode("ascii"),
        host=validated.host.encode("ascii"),
        port=validated.port,
        target=validated.path_with_query.encode("ascii"),
    )
    timeouts = {"connect": connect_timeout, "read": total_timeout, "write": total_timeout, "pool": total_timeout}
    status: int | None = None
    response_headers: Mapping[str, str] = MappingProxyType({})
    received = bytearray()
    truncated = False
    error: str | None = None
    pool = httpcore.ConnectionPool(
        ssl_context=ssl_context or _default_ssl_context(),
        network_backend=backend,
        max_connections=1,
        retries=0,
        http1=True,
        http2=False,
    )
    try:
        with pool:
            with pool.stream(
                "POST",
                url,
                headers=_request_headers(headers, validated),
                content=body,
                extensions={"timeout": timeouts},
            ) as response:
                status = response.status
                response_headers = _response_headers(response.headers)
                for chunk in response.iter_stream():
                    received += chunk
                    if len(received) > max_read:
                        # Stop reading and drop the connection; the rest of the body is not our problem.
                        truncated = True
                        del received[max_read:]
                        break
    except Exception as exc:  # noqa: BLE001 - every failure becomes a recorded outcome, never a crash
        error = _describe(exc)
    retry_after = parse_retry_after(response_headers.get("retry-after"), now=now()) if status is not None else None
    excerpt_bytes = bytes(received[:max_body])
    return DeliveryOutcome(
        status_code=status,
        headers=response_headers,
        body_excerpt=excerpt_bytes.decode("utf-8", errors="replace"),
        elapsed_ms=int((clock() - start) * 1000),
        error=error,
        retry_after=retry_after,
        blocked=False,
        address=backend.connected_to,
        truncated=truncated or len(received) > max_body,
    )


def deliver(
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    resolver: Resolver = socket.getaddrinfo,
    allow_http_localhost: bool,
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS,
    connect_timeout: float = 5.0,
    total_timeout: float = 15.0,
    max_body: int = 4096,
    max_read: int = MAX_READ_BYTES,
    ssl_context: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> DeliveryOutcome:
    """One delivery attempt: SSRF checks at delivery time, then a pinned POST. Never raises for I/O trouble.

    ``headers`` are the signed Standard Webhooks headers plus content-type; ``body`` the exact stored bytes.
    The DNS lookup counts against ``total_timeout`` but cannot be interrupted by it (getaddrinfo has no
    timeout); the OS resolver's own timeout bounds it.
    """
    start = clock()

    def refused(error: str, *, blocked: bool) -> DeliveryOutcome:
        return DeliveryOutcome(status_code=None, error=error, blocked=blocked, elapsed_ms=int((clock() - start) * 1000))

    try:
        validated = validate_url(url, allow_http_localhost=allow_http_localhost, allowed_ports=allowed_ports)
        addresses = resolve_destination(validated, resolver=resolver)
    except UnsafeUrl as exc:  # includes BlockedDestination
        # A stored URL that no longer passes the rules is refused like a private address: nothing is sent.
        return refused(f"blocked: {exc.reason}", blocked=True)
    except ResolutionFailed as exc:
        return refused(f"dns: {exc.reason}", blocked=False)
    return send_pinned(
        validated,
        addresses,
        headers=headers,
        body=body,
        connect_timeout=connect_timeout,
        total_timeout=total_timeout,
        max_body=max_body,
        max_read=max_read,
        ssl_context=ssl_context,
        clock=clock,
        now=now,
        started_at=start,
    )
