"""The address of the person behind a request, for rate limits (login, widget history).

The direct peer is the answer, unless it is one of `WEB_TRUSTED_PROXIES` (comma-separated
addresses or networks, e.g. `127.0.0.1` for the nginx of `make run-scaled`): then the address
that proxy put in `X-Forwarded-For` is. nginx is told to *replace* the header with the address it
saw (`proxy_set_header X-Forwarded-For $remote_addr`), so the value is one hop; should a chain
arrive anyway, it is read from the right and the first address that is not a trusted proxy wins,
so nothing the client itself wrote is ever believed. With no trusted proxies, no forwarded header
is read at all (`Forwarded`, `X-Real-IP` never are). uvicorn's own proxy-header handling is off
(bot/web/__main__.py): by default it believes `X-Forwarded-For` from 127.0.0.1, from anyone.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from bot.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    networks = []
    for item in setting.split(","):
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: tuple[Network, ...]
) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(connection: HTTPConnection) -> str:
    peer = connection.client.host if connection.client else ""
    networks = trusted_networks(get_settings().web_trusted_proxies)
    if not networks or not _trusted(_parse(peer), networks):
        return peer or "unknown"
    hops = [hop for header in connection.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return peer  # a malformed hop: don't guess past it
        if not _trusted(address, networks):
            return str(address)
    return peer
