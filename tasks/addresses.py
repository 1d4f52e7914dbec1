"""Which hosts are private (loopback, LAN, link-local, cloud metadata): a crawl never wanders onto them."""

from __future__ import annotations

import asyncio
import ipaddress
import socket


def is_private_address(host: str) -> bool:
    """Loopback, private, link-local, reserved or unspecified IP literal."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved or address.is_unspecified


async def host_is_private(hostname: str) -> bool:
    """True if the host is, or resolves to, a non-public address."""
    if hostname == "localhost" or is_private_address(hostname):
        return True
    if hostname.replace(".", "").isdigit() or ":" in hostname:
        return False  # a public IP literal
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, OSError):
        return False  # the request itself will fail with a readable error
    return any(is_private_address(str(info[4][0])) for info in infos)
