"""Shared fixtures. The emulated engine is the default; ``real_mongodb`` tests need TEST_MONGODB_URI."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

# Tests never touch the network: remote sites and providers are faked at the HTTP layer (respx) or
# served by local fixture servers. This guard turns any attempt into an immediate, named failure
# instead of a slow timeout or, on a machine with internet, a silent real call.
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(host: Any) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in ("localhost", "", "testserver"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class NetworkAccessError(OSError):
    """Raised by the test guard when code under test tries to connect to a non-local host."""


class NetworkLookupError(socket.gaierror):
    """Raised by the test guard for a DNS lookup of a non-local name (a gaierror, as offline)."""


def _guarded_getaddrinfo(
    host: Any, port: Any = None, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> Any:
    if not _is_local(host):
        try:  # numeric forms ("2130706433", "0x7f.1") resolve without DNS: no network involved
            return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise NetworkLookupError(
                socket.EAI_NONAME, f"tests must not touch the network: DNS lookup of {host!r}"
            ) from None
    return _real_getaddrinfo(host, port, family, type, proto, flags)


def _address_host(address: Any) -> Any:
    return address[0] if isinstance(address, tuple) else None  # AF_UNIX paths are local


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(_address_host(address)):
        raise NetworkAccessError(f"tests must not touch the network: connect to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_local(_address_host(address)):
        raise NetworkAccessError(f"tests must not touch the network: connect to {address!r}")
    return _real_connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TEST_MONGODB_URI"):
        return
    skip = pytest.mark.skip(reason="needs a real MongoDB server: set TEST_MONGODB_URI to run it")
    for item in items:
        if "real_mongodb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
