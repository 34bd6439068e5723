from __future__ import annotations

import socket
from typing import Any

import pytest

from outbound.webhooks import (
    InsecureWebhookUrl,
    InvalidWebhookUrl,
    PrivateWebhookAddress,
    UnresolvableWebhookHost,
    check_host,
    check_url,
)


def fake_dns(answers: dict[str, list[str]]) -> Any:
    """A resolver returning fixed answers (getaddrinfo's tuple shape) — DNS is outside the
    test machine's control, so rebinding-style answers are scripted here."""

    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror("no such host")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://100.64.0.1/hook",
        "https://localhost/hook",
    ],
)
def test_private_loopback_link_local_and_reserved_targets_are_refused(url: str) -> None:
    with pytest.raises(PrivateWebhookAddress) as caught:
        check_url(url, [])
    assert caught.value.status == 400 and caught.value.code == "private_webhook_address"


def test_a_host_is_refused_if_any_of_its_addresses_is_private() -> None:
    dns = fake_dns({"hooks.example.com": ["93.184.215.14", "10.1.2.3"]})
    with pytest.raises(PrivateWebhookAddress):
        check_url("https://hooks.example.com/x", [], resolver=dns)


def test_public_https_targets_pass_and_keep_what_was_vetted() -> None:
    dns = fake_dns({"hooks.example.com": ["93.184.215.14"]})
    target = check_url("https://Hooks.Example.com:8443/in?x=1", [], resolver=dns)
    assert target.addresses == ("93.184.215.14",)
    assert target.pinned_url("93.184.215.14") == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"


def test_allow_list_by_host_or_cidr_permits_private_and_http() -> None:
    assert check_url("http://127.0.0.1:9/h", ["127.0.0.1"]).addresses == ("127.0.0.1",)
    assert check_url("https://10.0.0.7/h", ["10.0.0.0/8"]).host == "10.0.0.7"
    dns = fake_dns({"crm.internal": ["10.9.9.9"]})
    assert check_url("http://crm.internal/h", ["crm.internal"], resolver=dns).port == 80
    with pytest.raises(PrivateWebhookAddress):
        check_url("https://10.0.0.7/h", ["192.168.0.0/16"])


def test_plain_http_needs_the_allow_list() -> None:
    dns = fake_dns({"hooks.example.com": ["93.184.215.14"]})
    with pytest.raises(InsecureWebhookUrl):
        check_url("http://hooks.example.com/h", [], resolver=dns)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "https://", "https://user:pw@93.184.215.14/", "not a url", "x" * 3000],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl) as caught:
        check_url(url, [])
    assert caught.value.code == "invalid_webhook_url"


def test_unresolvable_hosts_are_refused() -> None:
    with pytest.raises(UnresolvableWebhookHost):
        check_url("https://nowhere.invalid/h", [], resolver=fake_dns({}))


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (obfuscated)
        "64:ff9b::7f00:1",  # NAT64 well-known prefix, 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64, the metadata service
        "64:ff9b:1::a00:5",  # NAT64 local-use prefix, 10.0.0.5
        "::7f00:1",  # IPv4-compatible 127.0.0.1
    ],
)
def test_ipv6_forms_that_carry_a_private_ipv4_are_refused(address: str) -> None:
    with pytest.raises(PrivateWebhookAddress):
        check_url(f"https://[{address}]/hook", [])
    with pytest.raises(PrivateWebhookAddress):
        check_host(address, 25, [])


@pytest.mark.parametrize(
    ("host", "port"),
    [("127.0.0.1", 6379), ("169.254.169.254", 25), ("10.0.0.5", 25), ("localhost", 25)],
)
def test_smtp_relays_inside_the_network_are_refused(host: str, port: int) -> None:
    with pytest.raises(PrivateWebhookAddress):
        check_host(host, port, [])
    assert check_host(host, port, ["127.0.0.1/32", "10.0.0.0/8", "169.254.0.0/16", "::1"])
