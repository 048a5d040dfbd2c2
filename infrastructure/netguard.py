"""Outbound addresses a user typed (a partner's webhook): refuse the hosts an attacker would aim
the platform at from inside (SSRF): loopback, link-local, private, shared and reserved
addresses, multicast and the unspecified address.

``check_url`` takes the URL's host; a host on the allow-list passes as it is; an IP literal is
judged itself; a host name is resolved and **every** address it resolves to must be public
(one private answer among public ones is refused: the connection could pick it).  The caller
checks when the address is saved and again before each call, so a name that later resolves
inside (DNS rebinding between the two) is refused at the call.

Infrastructure: no project imports.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class AddressRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def refusal(address: str) -> str | None:
    """Why ``address`` may not be called (Chinese), or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "回环地址"
    if ip.is_link_local:
        return "链路本地地址"
    # Reserved before private: Python's is_private also covers 0.0.0.0/8 and 240.0.0.0/4 (its
    # table follows the IANA registry), which are reserved, not anybody's inside network.
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "保留地址"
    if ip.is_private:
        return "内网地址"
    if not ip.is_global:
        return "保留地址"
    return None


def parse_hosts(raw: str | Iterable[str] | None) -> frozenset[str]:
    """An allow-list setting (host names or IP literals separated by commas or spaces)."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or ())
    return frozenset(h.strip().lower().rstrip(".") for h in items if h.strip())


def check_url(url: str, allowed: Iterable[str] = (), resolver: Resolver = resolve) -> None:
    """Raise AddressRefused (with a Chinese message) unless ``url`` is http(s) to a public host
    or to a host of ``allowed``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused("接收地址应以 http:// 或 https:// 开头并包含主机名")
    if host in parse_hosts(allowed):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("接收地址的端口不正确") from None
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise AddressRefused(f"无法解析接收地址的主机名 {host}") from None
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise AddressRefused(
                f"接收地址不能指向{reason}（{host} 对应 {address}）；确需使用的，请系统管理员将该主机加入推送地址白名单"
            )
