"""Refusing webhook targets inside our own network (SSRF guard).

A target is checked twice: its host name is resolved and every address must be public before we
try (a clear message when a subscription is saved), and the address a connection actually
reaches is checked again when it is made, so DNS that changes its answer between the two, and
redirects, cannot lead a request inside. Networks listed in a setting are allowed on purpose
(a municipality's intranet receiver, or the tests' local receiver).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeTarget(Exception):
    """The target is not a public http(s) address; `reason` says why (English, for logs),
    `kind` names the case for a translated message, `subject` the address or host concerned:
    kind is private, loopback, link-local, not_public, scheme, credentials or unresolvable."""

    def __init__(self, reason: str, kind: str = "not_public", subject: str = "") -> None:
        super().__init__(reason)
        self.reason, self.kind, self.subject = reason, kind, subject


def networks(setting: str) -> tuple[Network, ...]:
    """The allowed networks from a comma-separated setting ("" = none)."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False)
                 for p in setting.split(",") if p.strip())


def check_address(address: str, allowed: Iterable[Network] = ()) -> None:
    """Refuse private, loopback, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return
    if not ip.is_global or ip.is_multicast:
        kind = ("loopback" if ip.is_loopback else "link-local" if ip.is_link_local
                else "private" if ip.is_private else "not public")
        raise UnsafeTarget(f"{address} is a {kind} address", kind.replace(" ", "_"), address)


def check_url(url: str, allowed: Iterable[Network] = ()) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to an address we refuse."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("only http and https addresses can receive webhooks", "scheme")
    if parts.username or parts.password:
        raise UnsafeTarget("the address must not contain a user name or password", "credentials")
    allowed = tuple(allowed)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(f"the host name {parts.hostname} cannot be resolved", "unresolvable",
                           parts.hostname) from None
    for info in infos:
        check_address(str(info[4][0]), allowed)


def _guarded(cls: Any, allowed: tuple[Network, ...]) -> Any:
    class Guarded(cls):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            try:
                check_address(str(sock.getpeername()[0]), allowed)
            except UnsafeTarget:
                sock.close()
                raise
            return sock

    return Guarded


class GuardedAdapter(HTTPAdapter):
    """An HTTP adapter whose every connection is checked where it really lands."""

    def __init__(self, allowed: tuple[Network, ...]) -> None:
        self._allowed = allowed
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPPool", (HTTPConnectionPool,),
                    {"ConnectionCls": _guarded(HTTPConnection, self._allowed)})
        https = type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                     {"ConnectionCls": _guarded(HTTPSConnection, self._allowed)})
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def guarded_session(allowed: tuple[Network, ...]) -> requests.Session:
    """A requests session that never connects inside (no proxies from the environment)."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(allowed)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
