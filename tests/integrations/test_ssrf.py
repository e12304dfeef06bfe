import ipaddress
import socket

import pytest

from integrations.webhooks.ssrf import (
    BlockedDestination,
    ResolutionFailed,
    UnsafeUrl,
    ValidatedUrl,
    is_public,
    resolve_destination,
    resolve_public,
    validate_url,
    vet_destination,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


def fake_resolver(*answers: list[str]):
    """getaddrinfo stand-in: the n-th call returns the n-th answer list (the last one repeats)."""
    calls: list[tuple[str, int]] = []

    def resolve(host, port, type=0, **_):  # noqa: A002 - mirrors getaddrinfo's keyword
        calls.append((host, port))
        addrs = answers[min(len(calls), len(answers)) - 1]
        out = []
        for addr in addrs:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr = (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    resolve.calls = calls
    return resolve


# --- is_public over every class in security.md 1.6 item 3 ----------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "0.0.0.0",  # noqa: S104 - an address under test, nothing binds to it
        "0.1.2.3",  # 0/8
        "10.0.0.1",
        "10.255.255.255",  # 10/8
        "100.64.0.1",
        "100.127.255.254",  # 100.64/10 CGNAT
        "127.0.0.1",
        "127.255.0.1",  # 127/8
        "169.254.0.1",
        "169.254.169.254",  # link-local incl. cloud metadata
        "172.16.0.1",
        "172.31.255.255",  # 172.16/12
        "192.168.0.1",
        "192.168.255.255",  # 192.168/16
        "198.18.0.1",
        "198.19.255.255",  # 198.18/15
        "224.0.0.1",
        "239.255.255.250",  # 224/4 multicast (224.0.0.1 has is_global=True on 3.11)
        "240.0.0.1",
        "255.255.255.255",  # 240/4
        "192.0.2.1",
        "198.51.100.1",
        "203.0.113.1",  # documentation nets
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",  # fc00::/7
        "fe80::1",
        "fe80::1%eth0",  # fe80::/10, with a zone id
        "ff00::1",
        "ff02::1",  # ff00::/8 (ff02::1 has is_global=True on 3.11)
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",  # IPv4-mapped, unwrapped
        "2002:7f00:1::",
        "2002:5db8:d822::1",  # 6to4 (even wrapping a public v4)
        "64:ff9b::7f00:1",
        "64:ff9b::5db8:d822",  # NAT64 well-known prefix
        "64:ff9b:1::1",  # NAT64 local-use
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::7f00:1",  # deprecated IPv4-compatible ::127.0.0.1, is_global=True on 3.11
        "2001:db8::1",
        "100::1",
        "not-an-ip",
        "",
        "127.1",
    ],
)
def test_non_public_addresses(address):
    assert is_public(address) is False


@pytest.mark.parametrize("address", [PUBLIC_V4, "8.8.8.8", "1.1.1.1", PUBLIC_V6, "2a00:1450:4001:80b::200e"])
def test_public_addresses(address):
    assert is_public(address) is True


def test_python_gaps_are_really_covered_by_explicit_blocks():
    """These are the addresses Python's is_global gets wrong on this interpreter; the guard must not rely on it."""
    wrongly_global = [
        a
        for a in ("224.0.0.1", "ff02::1", "2002:7f00:1::", "64:ff9b::7f00:1", "::7f00:1")
        if ipaddress.ip_address(a).is_global
    ]
    assert all(not is_public(a) for a in wrongly_global)


# --- validate_url ----------------------------------------------------------------------------------------


def test_accepts_plain_https():
    assert validate_url("https://Hooks.Example.com/in?x=1#frag", allow_http_localhost=False) == ValidatedUrl(
        "https", "hooks.example.com", 443, "/in?x=1"
    )
    assert validate_url("https://hooks.example.com", allow_http_localhost=False).path_with_query == "/"
    assert validate_url("https://hooks.example.com:443/", allow_http_localhost=False).port == 443
    v6 = validate_url(f"https://[{PUBLIC_V6}]/h", allow_http_localhost=False)
    assert v6.host == PUBLIC_V6 and v6.authority == f"[{PUBLIC_V6}]"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/", "https"),
        ("ftp://hooks.example.com/", "https"),
        ("file:///etc/passwd", "https"),
        ("https://user:pass@hooks.example.com/", "credentials"),
        ("https://user@hooks.example.com/", "credentials"),
        ("https://hooks.example.com\\@127.0.0.1/", "backslash"),
        ("https://hooks.example.com /", "whitespace"),
        ("https://hooks.example.com/\t", "whitespace"),
        ("https://hooks.exa\x00mple.com/", "control"),
        ("https://hooks.example.com\u00a0/", "whitespace"),
        ("https://hooks.example.com:8443/", "port 8443"),
        ("https://hooks.example.com:0/", "port 0"),
        ("https://hooks.example.com:99999/", "port"),
        ("https://2130706433/", "canonical"),
        ("https://0x7f000001/", "canonical"),
        ("https://0177.0.0.1/", "canonical"),
        ("https://127.1/", "canonical"),
        ("https://0x7f.1/", "canonical"),
        ("https://1.2.3.4.5/", "canonical"),
        ("https://[fe80::1%25eth0]/", "'%'"),
        ("https://hooks%2eexample.com/", "'%'"),
        ("https://[not-ipv6]/", "parsed"),
        ("https://a..b/", "label"),
        ("https:///path", "no host"),
        ("", "empty"),
        ("https://hooks.example.com/caf\u00e9", "ASCII"),
    ],
)
def test_rejects_bad_urls(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        validate_url(url, allow_http_localhost=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/",
        "https://LOCALHOST./",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://anything.internal/",
        "https://printer.local/",
        "https://x.localhost/",
        "https://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[64:ff9b::7f00:1]/",
        "https://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/",  # fullwidth 127.0.0.1
    ],
)
def test_refuses_internal_names_and_private_literals(url):
    with pytest.raises(BlockedDestination):
        validate_url(url, allow_http_localhost=False)


def test_extra_ports_only_when_allowed():
    assert (
        validate_url("https://hooks.example.com:8443/", allow_http_localhost=False, allowed_ports={443, 8443}).port
        == 8443
    )


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("http://localhost:8000/hook", "localhost", 8000),
        ("http://127.0.0.1:9/x", "127.0.0.1", 9),
        ("http://[::1]/x", "::1", 80),
        ("https://localhost/x", "localhost", 443),
    ],
)
def test_dev_flag_allows_loopback_only(url, host, port):
    validated = validate_url(url, allow_http_localhost=True)
    assert (validated.host, validated.port, validated.loopback_dev) == (host, port, True)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",  # http still only for loopback
        "http://127.0.0.2/",  # only the three named loopback hosts
        "http://10.0.0.1/",
        "http://2130706433/",
        "http://metadata.google.internal/",
    ],
)
def test_dev_flag_does_not_open_anything_else(url):
    with pytest.raises(UnsafeUrl):
        validate_url(url, allow_http_localhost=True)


def test_dev_flag_off_refuses_loopback():
    with pytest.raises(UnsafeUrl):
        validate_url("http://localhost:8000/", allow_http_localhost=False)


# --- resolution ------------------------------------------------------------------------------------------


def test_resolve_public_returns_all_addresses():
    resolver = fake_resolver([PUBLIC_V4, PUBLIC_V6])
    assert resolve_public("hooks.example.com", 443, resolver=resolver) == sorted([PUBLIC_V4, PUBLIC_V6])
    assert resolver.calls == [("hooks.example.com", 443)]


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        [PUBLIC_V4, "10.0.0.7"],  # one bad record poisons the name
        [PUBLIC_V4, "::ffff:169.254.169.254"],
        ["64:ff9b::a9fe:a9fe"],
        ["2002:a9fe:a9fe::"],
        ["0.0.0.0"],  # noqa: S104 - resolver answer under test
    ],
)
def test_resolve_public_blocks_if_any_record_is_private(answer):
    with pytest.raises(BlockedDestination, match="non-public"):
        resolve_public("hooks.example.com", 443, resolver=fake_resolver(answer))


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1"])
def test_odd_numeric_hosts_are_judged_by_what_they_resolve_to(host):
    # The real getaddrinfo turns all of these into 127.0.0.1 without DNS traffic.
    with pytest.raises(BlockedDestination):
        resolve_public(host, 443, resolver=socket.getaddrinfo)


@pytest.mark.parametrize("host", ["localhost", "metadata.google.internal", "db.internal", "nas.local", "LocalHost."])
def test_refused_names_never_reach_the_resolver(host):
    resolver = fake_resolver([PUBLIC_V4])
    with pytest.raises(BlockedDestination, match="internal"):
        resolve_public(host, 443, resolver=resolver)
    assert resolver.calls == []


def test_ip_literals_skip_the_resolver():
    resolver = fake_resolver(["127.0.0.1"])
    assert resolve_public(PUBLIC_V4, 443, resolver=resolver) == [PUBLIC_V4]
    with pytest.raises(BlockedDestination):
        resolve_public("169.254.169.254", 443, resolver=resolver)
    assert resolver.calls == []


def test_dns_failures_are_not_blocks():
    def failing(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ResolutionFailed, match="failed"):
        resolve_public("nope.example.com", 443, resolver=failing)
    with pytest.raises(ResolutionFailed, match="no addresses"):
        resolve_public("empty.example.com", 443, resolver=fake_resolver([]))


def test_rebinding_public_at_registration_private_at_delivery():
    resolver = fake_resolver([PUBLIC_V4], ["127.0.0.1"])
    validated, addresses = vet_destination(
        "https://rebind.example.com/hook", allow_http_localhost=False, resolver=resolver
    )
    assert addresses == [PUBLIC_V4]  # creation passes
    with pytest.raises(BlockedDestination, match="127.0.0.1"):
        resolve_destination(validated, resolver=resolver)  # the delivery-time check refuses
    assert len(resolver.calls) == 2


def test_dev_loopback_host_must_resolve_to_loopback_only():
    validated = validate_url("http://localhost:8000/", allow_http_localhost=True)
    assert resolve_destination(validated, resolver=fake_resolver(["127.0.0.1", "::1"])) == ["127.0.0.1", "::1"]
    with pytest.raises(BlockedDestination, match="non-loopback"):
        resolve_destination(validated, resolver=fake_resolver(["127.0.0.1", PUBLIC_V4]))
    with pytest.raises(BlockedDestination, match="non-loopback"):
        resolve_destination(validated, resolver=fake_resolver(["10.0.0.5"]))
