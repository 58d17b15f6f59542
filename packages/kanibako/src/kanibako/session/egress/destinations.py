"""Destinations as the user writes them, and addresses as the proxy sees them.

A DEST is a host (``pypi.org``), a suffix (``*.github.com``), ``host:port`` or
``IP:port`` (``[::1]:8080`` for IPv6). IP literals are normalized whatever
their spelling (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``::ffff:127.0.0.1``
are all ``127.0.0.1``), so a rule and a request meet on one canonical form.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ports an entry without a port allows: TLS through CONNECT, plain HTTP otherwise.
TLS_PORT = 443
HTTP_PORT = 80
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# What the C library's inet_aton may read as an IPv4 address (decimal, octal,
# hex, 1 to 4 parts); anything else is a name.
_LEGACY_IPV4 = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+)){0,3}")
# Cloud metadata services that live outside the link-local range.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254", "169.254.169.254")
)


class DestinationError(ValueError):
    """A DEST the user typed (or a config file holds) that cannot be a destination."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Destination:
    """One allow or deny entry: ``host`` is a name, ``*.suffix`` or a canonical IP."""

    host: str
    port: int | None = None

    @property
    def is_suffix(self) -> bool:
        return self.host.startswith("*.")

    @property
    def address(self) -> IPAddress | None:
        """The IP when ``host`` is an IP literal."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    def matches_host(self, host: str) -> bool:
        """Whether this entry names ``host`` (canonical): exactly, or as a suffix."""
        if self.is_suffix:
            return host.endswith(self.host[1:])
        return host == self.host

    def allows_port(self, port: int, *, tunnel: bool) -> bool:
        """A stated port is the only one; no port means 443 (CONNECT) or 80 (plain HTTP)."""
        if self.port is not None:
            return port == self.port
        return port == (TLS_PORT if tunnel else HTTP_PORT)

    def __str__(self) -> str:
        return format_destination(self.host, self.port)


def format_destination(host: str, port: int | None) -> str:
    """``host``, ``host:port`` or ``[v6]:port`` as the user would type it."""
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def normalize_ip(text: str) -> IPAddress | None:
    """The address ``text`` spells in any notation, or None when it is not an IP literal.

    IPv4-mapped IPv6 addresses become the IPv4 address they carry, so
    ``::ffff:10.0.0.1`` cannot slip past a rule about ``10.0.0.1``.
    """
    candidate = text.strip("[]")
    try:
        address: IPAddress = ipaddress.ip_address(candidate)
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(candidate):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, metadata and other non-public addresses."""
    return address in _METADATA or not address.is_global or address.is_multicast


def normalize_host(text: str) -> str:
    """The canonical form of a host name or IP literal (raises DestinationError)."""
    address = normalize_ip(text)
    if address is not None:
        return str(address)
    name = text.rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise DestinationError(f"{text!r} is not a valid host name") from None
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise DestinationError(f"{text!r} is not a valid host name")
    return name


def parse_port(text: str, whole: str) -> int:
    """The port in ``text`` (1..65535)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise DestinationError(f"{whole!r}: the port must be a number from 1 to 65535")
    return int(text)


def split_host_port(text: str) -> tuple[str, str | None]:
    """``host[:port]`` or ``[v6][:port]``; a bare IPv6 literal has no port."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise DestinationError(f"{text!r}: an IPv6 address is written [address]:port")
        return host, (rest[1:] if rest else None)
    if text.count(":") > 1:
        return text, None
    host, colon, port = text.partition(":")
    return host, (port if colon else None)


def parse_destination(text: str) -> Destination:
    """A DEST as typed (``host``, ``*.suffix``, ``host:port``, ``IP:port``)."""
    if not text or text != text.strip() or any(ch.isspace() for ch in text):
        raise DestinationError(f"{text!r}: a destination is not empty and has no spaces")
    host_text, port_text = split_host_port(text)
    port = None if port_text is None else parse_port(port_text, text)
    if host_text.startswith("*."):
        suffix = normalize_host(host_text[2:])
        if normalize_ip(host_text[2:]) is not None or "." not in suffix:
            raise DestinationError(f"{text!r}: a suffix is a domain like *.example.com")
        return Destination(f"*.{suffix}", port)
    if not host_text:
        raise DestinationError(f"{text!r}: the host is missing")
    return Destination(normalize_host(host_text), port)
