"""Who is asking: CIDR lists, the client behind trusted proxies, and the request ids kept or made."""

from __future__ import annotations

import pytest

from common.settings import DEFAULTS
from mapserver.operations.clients import Client, client, networks, parse_address, within
from mapserver.operations.traffic import request_id

DEFAULT_ALLOW = networks("METRICS_ALLOW", DEFAULTS["METRICS_ALLOW"])
NGINX = networks("TRUSTED_PROXIES", ["127.0.0.1/32", "10.0.0.5"])


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "10.20.30.40", "172.16.0.1",
                                     "172.31.255.255", "192.168.1.9", "fd12:3456::1", "::ffff:10.1.2.3"])
def test_loopback_and_private_addresses_may_scrape_by_default(address):
    assert within(parse_address(address), DEFAULT_ALLOW)


@pytest.mark.parametrize("address", ["8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:db8::1", "::ffff:8.8.8.8",
                                     "", "not an address", None])
def test_public_and_unknown_addresses_may_not(address):
    assert not within(parse_address(address), DEFAULT_ALLOW)


def test_networks_read_a_list_or_one_string_and_refuse_a_typo():
    assert networks("X", "10.0.0.0/8, 192.168.0.0/16 ::1") == networks("X", ["10.0.0.0/8", "192.168.0.0/16", "::1"])
    assert networks("X", "") == networks("X", []) == ()
    with pytest.raises(RuntimeError, match="METRICS_ALLOW"):
        networks("METRICS_ALLOW", ["10.0.0.0/33"])


def _environ(peer: str, forwarded_for: str | None = None, **headers: str) -> dict:
    environ = {"REMOTE_ADDR": peer, **{f"HTTP_{name.upper()}": value for name, value in headers.items()}}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return environ


def test_a_direct_client_is_its_peer():
    assert client(_environ("203.0.113.7"), NGINX) == client(_environ("203.0.113.7"), ()) == Client("203.0.113.7", True)


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    behind_nginx = client(_environ("127.0.0.1", "198.51.100.9"), NGINX)
    assert (behind_nginx.address, behind_nginx.known) == ("198.51.100.9", True)
    untrusted = client(_environ("203.0.113.7", "10.1.2.3"), NGINX)
    assert (untrusted.address, untrusted.known) == ("203.0.113.7", False)
    no_proxies = client(_environ("127.0.0.1", "10.1.2.3"), ())
    assert (no_proxies.address, no_proxies.known) == ("127.0.0.1", False)


def test_the_scheme_is_the_trusted_proxys():
    assert client(_environ("127.0.0.1", "198.51.100.9", x_forwarded_proto="https"), NGINX).scheme == "https"
    assert client(_environ("127.0.0.1", "198.51.100.9", x_forwarded_proto="gopher"), NGINX).scheme is None
    assert client(_environ("203.0.113.7", "10.1.2.3", x_forwarded_proto="https"), NGINX).scheme is None


def test_any_forwarding_header_from_an_untrusted_peer_makes_the_client_unknown():
    assert not client(_environ("127.0.0.1", forwarded="for=10.1.2.3"), ()).known
    assert not client(_environ("127.0.0.1", x_real_ip="10.1.2.3"), ()).known


def test_the_client_is_the_last_hop_before_the_trusted_proxies():
    """A client can write anything at the left of X-Forwarded-For; only what our proxies appended counts."""
    spoofed = client(_environ("127.0.0.1", "10.9.9.9, 198.51.100.9"), NGINX)
    assert spoofed.address == "198.51.100.9"
    two_proxies = client(_environ("127.0.0.1", "198.51.100.9, 10.0.0.5"), NGINX)
    assert two_proxies.address == "198.51.100.9"
    all_trusted = client(_environ("127.0.0.1", "10.0.0.5"), NGINX)
    assert all_trusted.address == "10.0.0.5"
    garbled = client(_environ("127.0.0.1", "198.51.100.9, bogus, 10.0.0.5"), NGINX)
    assert garbled.address == "10.0.0.5"
    mapped = client(_environ("::ffff:127.0.0.1", "::ffff:198.51.100.9"), NGINX)
    assert mapped.address == "198.51.100.9"


@pytest.mark.parametrize("sent", ["abc", "3f2a9c1e-8b7d-4c2e-9f10-aa55bb66cc77", "nginx:0123abcd", "a/b+c=="])
def test_a_sane_request_id_is_kept(sent):
    assert request_id(sent) == sent


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 129, "-starts-with-a-dash", 'quote"d', "ð"])
def test_anything_else_is_replaced_by_a_new_id(sent):
    made = request_id(sent)
    assert made != sent and len(made) == 32 and int(made, 16) >= 0


def test_made_ids_differ():
    assert len({request_id(None) for _ in range(1000)}) == 1000
