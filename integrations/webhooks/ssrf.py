"""SSRF guard for tenant-supplied webhook URLs (security.md 1.6).

Two stages, both run at registration AND again at every delivery attempt (DNS rebinding, records that
changed after registration):

1. :func:`validate_url` - syntax and policy on the URL string alone (scheme, port, userinfo, odd
   characters, non-canonical numeric hosts, refused names, non-public IP literals).
2. :func:`resolve_public` - resolve the host and require that EVERY returned address is public.

The transport then connects to one of the returned addresses, never to the name, so nothing resolves a
second time between check and connect. Decisions are made on resolved addresses, never on the host
string (``getaddrinfo`` turns ``2130706433``, ``0x7f.1`` and friends into 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_ALLOWED_PORTS",
    "LOOPBACK_HOSTS",
    "BlockedDestination",
    "ResolutionFailed",
    "Resolver",
    "UnsafeUrl",
    "ValidatedUrl",
    "is_public",
    "resolve_destination",
    "resolve_public",
    "validate_url",
    "vet_destination",
]

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
"""Same contract as ``socket.getaddrinfo(host, port, type=...)``; injectable for tests."""

DEFAULT_ALLOWED_PORTS: frozenset[int] = frozenset({443})
LOOPBACK_HOSTS: frozenset[str] = frozenset({"localhost", "127.0.0.1", "::1"})

# Python's is_global misses these (security.md 1.6 item 3) or changed its answer between patch releases,
# so they are listed explicitly. Every range is either not publicly routable or can tunnel to one that is not.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        # IPv4
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. the cloud metadata address 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast (is_global is True for some of it on 3.11)
        "240.0.0.0/4",  # reserved, incl. broadcast
        # IPv6
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible (::7f00:1 embeds 127.0.0.1)
        "::ffff:0:0/96",  # IPv4-mapped (unwrapped before this check, listed for completeness)
        "64:ff9b::/96",  # NAT64 well-known prefix: embeds any IPv4 address
        "64:ff9b:1::/48",  # NAT64 local-use prefix
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32 which embeds an IPv4 address
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: embeds any IPv4 address (2002:7f00:1:: is 127.0.0.1)
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)

_REFUSED_NAMES = frozenset({"localhost", "metadata.google.internal", "metadata", "instance-data"})
_REFUSED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".in-addr.arpa", ".ip6.arpa")
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# WHATWG URL parsing (and getaddrinfo) treat a host whose last label is a number as IPv4.
_NUMERIC_LABEL_RE = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")


class UnsafeUrl(ValueError):
    """The URL breaks the webhook URL policy. ``reason`` is safe to show to the tenant."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BlockedDestination(UnsafeUrl):
    """The destination is, or resolves to, a non-public address or a refused name."""


class ResolutionFailed(Exception):
    """DNS gave no usable answer. A delivery failure, but not an SSRF block."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ValidatedUrl:
    """A URL that passed :func:`validate_url`. ``host`` is lower-case, without brackets or trailing dot."""

    scheme: str
    host: str
    port: int
    path_with_query: str
    loopback_dev: bool = False
    """True when accepted only because ``allow_http_localhost`` was on (development receivers)."""

    @property
    def host_is_ip(self) -> bool:
        return _parse_ip(self.host) is not None

    @property
    def authority(self) -> str:
        """``host[:port]`` as it belongs in the ``Host`` header (brackets for IPv6, default port omitted)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path_with_query}"


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_public(ip_str: str) -> bool:
    """True only for a globally routable unicast address that cannot tunnel to a non-public one.

    Never raises: anything that does not parse as an address is not public.
    """
    try:
        ip = ipaddress.ip_address(str(ip_str).split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 on the wire
    if ip.is_multicast or not ip.is_global:
        return False
    return not any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version)


def _is_refused_name(host: str) -> bool:
    return host in _REFUSED_NAMES or host.endswith(_REFUSED_SUFFIXES)


def _normalize_host(raw: str) -> str:
    host = raw.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeUrl("host is not a valid internationalized domain name") from None
    return host


def _check_hostname(host: str) -> None:
    """Syntax of a DNS name, plus the numeric-host rule (security.md 1.6 item 4)."""
    if len(host) > 253:
        raise UnsafeUrl("host name is too long")
    labels = host.split(".")
    if _NUMERIC_LABEL_RE.fullmatch(labels[-1]):
        # Looks like IPv4 to resolvers, and it is not the canonical dotted quad (that was handled
        # before this function): 2130706433, 0x7f000001, 0177.0.0.1, 127.1, 0x7f.1, 1.2.3.4.5.
        raise UnsafeUrl("numeric host must be a canonical dotted-quad IPv4 address")
    for label in labels:
        if not _LABEL_RE.fullmatch(label):
            raise UnsafeUrl("host name contains an empty or invalid label")


def validate_url(
    url: str,
    *,
    allow_http_localhost: bool,
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS,
) -> ValidatedUrl:
    """Check a webhook URL string; raises :class:`UnsafeUrl` (or :class:`BlockedDestination`).

    ``https`` on an allowed port (443 by default) to a public host. With ``allow_http_localhost``
    (development only) the loopback hosts ``localhost``, ``127.0.0.1`` and ``[::1]`` are also accepted,
    over http or https and on any port, because local receivers listen on arbitrary ports; only
    loopback addresses are then accepted for them when resolving.
    """
    if not isinstance(url, str) or not url:
        raise UnsafeUrl("URL is empty")
    if len(url) > 2048:
        raise UnsafeUrl("URL is longer than 2048 characters")
    # Parsers disagree on these, which is how filters are bypassed: refuse rather than interpret.
    if "\\" in url:
        raise UnsafeUrl("URL contains a backslash")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeUrl("URL contains whitespace or control characters")
    if not url.isascii() and any(not ch.isprintable() for ch in url):
        raise UnsafeUrl("URL contains non-printable characters")

    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeUrl("URL cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeUrl("URL must use https")
    if not parts.netloc:
        raise UnsafeUrl("URL has no host")
    if "@" in parts.netloc:
        raise UnsafeUrl("URL must not contain credentials (user:pass@host)")
    raw_host = parts.hostname
    if not raw_host:
        raise UnsafeUrl("URL has no host")
    if "%" in raw_host:
        raise UnsafeUrl("host must not contain '%' (percent-encoding or IPv6 zone id)")
    try:
        explicit_port = parts.port
    except ValueError:
        raise UnsafeUrl("port is not a number between 0 and 65535") from None
    if explicit_port == 0:
        raise UnsafeUrl("port 0 is not allowed")

    if not (parts.path + parts.query).isascii():
        raise UnsafeUrl("URL path and query must be ASCII (percent-encode other characters)")

    bracketed = parts.netloc.startswith("[")
    host = _normalize_host(raw_host)
    if host.endswith(".") and not bracketed:
        host = host[:-1]  # "example.com." is the same name; stripping keeps the refused-name checks honest
    if not host:
        raise UnsafeUrl("URL has no host")

    ip = _parse_ip(host)
    if bracketed and (ip is None or ip.version != 6):
        raise UnsafeUrl("bracketed host is not an IPv6 address")
    if ip is not None:
        host = ip.compressed  # canonical form (IPv6 shorthand is not ambiguous, so no need to reject it)
    else:
        _check_hostname(host)

    port = explicit_port if explicit_port is not None else (443 if scheme == "https" else 80)
    path_with_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    if allow_http_localhost and host in LOOPBACK_HOSTS:
        return ValidatedUrl(scheme, host, port, path_with_query, loopback_dev=True)

    if scheme != "https":
        raise UnsafeUrl("URL must use https")
    if port not in allowed_ports:
        raise UnsafeUrl(f"port {port} is not allowed (allowed: {sorted(allowed_ports)})")
    if ip is not None:
        if not is_public(host):
            raise BlockedDestination(f"address {host} is not public")
    elif _is_refused_name(host):
        raise BlockedDestination(f"host name {host!r} is internal")
    return ValidatedUrl(scheme, host, port, path_with_query)


def _lookup(host: str, port: int, resolver: Resolver) -> list[str]:
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise ResolutionFailed(f"DNS lookup for {host!r} failed: {exc}") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise ResolutionFailed(f"DNS lookup for {host!r} returned no addresses")
    return addresses


def resolve_public(host: str, port: int = 443, *, resolver: Resolver = socket.getaddrinfo) -> list[str]:
    """Resolve ``host`` and return its addresses only if EVERY A/AAAA record is public.

    Raises :class:`BlockedDestination` naming the first offending address, or :class:`ResolutionFailed`.
    An IP literal is checked without calling the resolver.
    """
    literal = _parse_ip(host)
    if literal is not None:
        if not is_public(host):
            raise BlockedDestination(f"address {host} is not public")
        return [literal.compressed]
    host = host.lower().rstrip(".")
    if _is_refused_name(host):
        raise BlockedDestination(f"host name {host!r} is internal")
    addresses = _lookup(host, port, resolver)
    for address in addresses:
        if not is_public(address):
            # Reject the whole name even if other records are public: the caller could be routed to any.
            raise BlockedDestination(f"{host!r} resolves to non-public address {address}")
    return addresses


def _resolve_loopback(host: str, port: int, resolver: Resolver) -> list[str]:
    literal = _parse_ip(host)
    addresses = [literal.compressed] if literal is not None else _lookup(host, port, resolver)
    for address in addresses:
        parsed = _parse_ip(address.split("%", 1)[0])
        if parsed is None or not parsed.is_loopback:
            raise BlockedDestination(f"{host!r} resolves to non-loopback address {address}")
    return addresses


def resolve_destination(validated: ValidatedUrl, *, resolver: Resolver = socket.getaddrinfo) -> list[str]:
    """Addresses to connect to for a validated URL: public ones, or loopback ones for a dev receiver."""
    if validated.loopback_dev:
        return _resolve_loopback(validated.host, validated.port, resolver)
    return resolve_public(validated.host, validated.port, resolver=resolver)


def vet_destination(
    url: str,
    *,
    allow_http_localhost: bool,
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS,
    resolver: Resolver = socket.getaddrinfo,
) -> tuple[ValidatedUrl, list[str]]:
    """Registration-time check: :func:`validate_url` then :func:`resolve_destination`."""
    validated = validate_url(url, allow_http_localhost=allow_http_localhost, allowed_ports=allowed_ports)
    return validated, resolve_destination(validated, resolver=resolver)
