"""The suite-wide guard in tests/conftest.py: nothing under test reaches a non-local host."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import NetworkAccessError, NetworkLookupError


def test_lookups_and_connections_to_remote_hosts_fail_at_once() -> None:
    with pytest.raises(NetworkLookupError, match="DNS lookup of 'api.openai.com'"):
        socket.getaddrinfo("api.openai.com", 443)
    with pytest.raises(NetworkAccessError, match="93.184.216.34"):  # numeric: resolved, connect refused
        socket.create_connection(("93.184.216.34", 443), timeout=1)
    with socket.socket() as raw, pytest.raises(NetworkAccessError, match="93.184.216.34"):
        raw.connect(("93.184.216.34", 443))
    with pytest.raises(httpx.ConnectError):
        httpx.get("https://store.steampowered.com/appreviews/570?json=1", timeout=1)


def test_loopback_stays_reachable() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        client = socket.create_connection(server.getsockname(), timeout=1)
        client.close()
        assert socket.getaddrinfo("localhost", 80)
    finally:
        server.close()
