"""The SSRF guard for every outbound target: webhook and robot URLs, SMTP relays.

A URL is accepted when it is `https` (or `http` to an allow-listed target), has a host and
no credentials, and *every* address its host resolves to (`socket.getaddrinfo`) is globally
routable — not private, loopback, link-local, multicast, reserved, unspecified, shared, nor
an IPv6 form that carries one of those inside it: IPv4-mapped (`::ffff:a.b.c.d`),
IPv4-compatible (`::a.b.c.d`), 6to4 (`2002:AABB:CCDD::/48`), Teredo (`2001::/32`, the
client address) or NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`). An SMTP relay's host and port
(`check_host`) pass the same rules. `settings.webhooks.allow_private` lists host names and
CIDRs that are permitted anyway (tests allow-list their loopback receiver).

The check runs when a subscription is created and again before every attempt; the attempt
then connects to the very address that was checked (`Target.pinned_url`, with the original
`Host` header and TLS server name), so a DNS answer that changes between check and connect
(DNS rebinding) cannot redirect a delivery to an internal address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from tracker.errors import BadRequest

__all__ = [
    "AllowList",
    "InsecureWebhookUrl",
    "InvalidWebhookUrl",
    "PrivateWebhookAddress",
    "Target",
    "UnresolvableWebhookHost",
    "check_host",
    "check_url",
    "is_public_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]

MAX_URL_LENGTH: Final = 2048


class InvalidWebhookUrl(BadRequest):
    code = "invalid_webhook_url"


class InsecureWebhookUrl(InvalidWebhookUrl):
    code = "insecure_webhook_url"


class PrivateWebhookAddress(InvalidWebhookUrl):
    code = "private_webhook_address"


class UnresolvableWebhookHost(InvalidWebhookUrl):
    code = "unresolvable_webhook_host"


_NAT64: Final = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE: Final = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form routes to, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): traffic reaches the client
    if any(address in network for network in _NAT64) or (
        address in _IPV4_COMPATIBLE and int(address) > 1  # not :: or ::1
    ):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and not is_public_address(inner):
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


class AllowList:
    """Host names and CIDRs from `settings.webhooks.allow_private`."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self.hosts.add(_normal_host(entry))

    def permits_host(self, host: str) -> bool:
        return _normal_host(host) in self.hosts

    def permits_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A vetted URL and the addresses it was vetted at."""

    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def pinned_url(self, address: str) -> str:
        literal = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _parse(url: str) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"URL longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"malformed URL: {exc}") from exc
    if parts.scheme not in ("https", "http"):
        raise InvalidWebhookUrl("webhook URLs must use https")
    if not parts.hostname:
        raise InvalidWebhookUrl("webhook URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl("webhook URLs may not carry credentials; use the signature")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, _normal_host(parts.hostname), port or default, path


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnresolvableWebhookHost(f"cannot resolve host {host!r}") from exc
    found: list[IPAddress] = []
    for info in infos:
        literal = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(literal)
        if address not in found:
            found.append(address)
    if not found:
        raise UnresolvableWebhookHost(f"host {host!r} has no addresses")
    return found


def check_url(
    url: str, allow_private: Sequence[str] | AllowList, *, resolver: Resolver | None = None
) -> Target:
    """Vet a webhook URL; raise an `InvalidWebhookUrl` subclass (400, machine code) if refused."""
    allow = allow_private if isinstance(allow_private, AllowList) else AllowList(allow_private)
    scheme, host, port, path = _parse(url)
    addresses = _vet(host, port, allow, resolver)
    host_allowed = allow.permits_host(host)
    if scheme == "http" and not (host_allowed or all(allow.permits_address(a) for a in addresses)):
        raise InsecureWebhookUrl("webhook URLs must use https (http only for allow-listed hosts)")
    return Target(url, scheme, host, port, path, tuple(str(a) for a in addresses))


def check_host(
    host: str,
    port: int,
    allow_private: Sequence[str] | AllowList,
    *,
    resolver: Resolver | None = None,
) -> tuple[str, ...]:
    """Vet a host and port that are not a URL (an SMTP relay) by the same rules; the
    addresses it was vetted at, to connect to (no second resolution in between)."""
    allow = allow_private if isinstance(allow_private, AllowList) else AllowList(allow_private)
    name = _normal_host(host.strip().strip("[]"))
    if not name or len(name) > 253 or not 0 < port < 65536:
        raise InvalidWebhookUrl("not a host and port", code="invalid_host")
    return tuple(str(a) for a in _vet(name, port, allow, resolver))


def _vet(host: str, port: int, allow: AllowList, resolver: Resolver | None) -> list[IPAddress]:
    addresses = _resolve(host, port, resolver or socket.getaddrinfo)
    host_allowed = allow.permits_host(host)
    for address in addresses:
        if not (host_allowed or is_public_address(address) or allow.permits_address(address)):
            raise PrivateWebhookAddress(
                "the host resolves to a private, loopback, link-local or reserved address",
                address=str(address),
            )
    return addresses
