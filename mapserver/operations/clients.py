"""Who is asking: the client's address from the direct peer and, behind trusted proxies, X-Forwarded-For;
and whether an address lies in a list of networks (settings such as METRICS_ALLOW)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Headers by which a proxy says whom it forwards for. From a peer that is not a trusted proxy they are not
# believed, and the client is then unknown: it may be anyone behind that proxy.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def networks(setting: str, value: str | Iterable[str]) -> tuple[Network, ...]:
    """A setting's CIDRs (a list, or one string separated by commas or spaces); a bad one stops the start-up
    naming the setting, rather than leaving /metrics open or a proxy unheard."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items)
    except ValueError as exc:
        raise RuntimeError(f"{setting}: {exc} (expected CIDRs such as 10.0.0.0/8 or ::1/128)") from exc


def parse_address(text: str | None) -> Address | None:
    """The address, IPv4-mapped IPv6 (a dual-stack socket's view of IPv4 clients) as IPv4; None if not one
    (a Unix socket's peer)."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def within(address: Address | None, nets: Iterable[Network]) -> bool:
    """Whether the address lies in one of the networks (never for an unknown address)."""
    return address is not None and any(address in net for net in nets)


@dataclass(frozen=True)
class Client:
    """The address to log, limit and audit by; `known` is false when an untrusted peer claims to forward
    for someone (the address is then the peer's, which says nothing about who is behind it)."""

    address: str
    known: bool
    scheme: str | None = None  # http or https as the trusted proxy received it (X-Forwarded-Proto)


def client(environ: dict, trusted: tuple[Network, ...]) -> Client:
    """The client behind the peer: X-Forwarded-For read from the right, skipping the trusted proxies, when
    the peer itself is one; the peer otherwise. A malformed hop ends the walk at the last proxy trusted."""
    peer = environ.get("REMOTE_ADDR") or ""
    if not (trusted and within(parse_address(peer), trusted)):
        return Client(peer, known=not any(environ.get(h) for h in FORWARDING_HEADERS))
    hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        parsed = parse_address(hop)
        if parsed is None:
            break
        address = str(parsed)
        if not within(parsed, trusted):
            break
    proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
    return Client(address, known=True, scheme=proto if proto in ("http", "https") else None)
