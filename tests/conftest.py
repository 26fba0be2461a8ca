"""Test-wide set-up: the suite is offline by construction.

Every socket connection to anything but the loopback interface is refused before it is made, so a
test that would reach NCBI (or anywhere else) fails loudly instead of depending on the network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", None}


class NetworkRefusedError(RuntimeError):
    """Raised when a test tries to connect beyond 127.0.0.0/8 or ::1."""


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets and the like stay on this machine
    host = address[0]
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise NetworkRefusedError(f"tests must stay offline: refused a connection to {address!r}")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    # A name lookup would go to DNS (and hang without a network): refuse it at once.
    if host not in _LOCAL_NAMES and not str(host).startswith("127."):
        raise NetworkRefusedError(f"tests must stay offline: refused to look up {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _offline() -> Iterator[None]:
    setattr(socket.socket, "connect", _guarded_connect)  # noqa: B010  # the guard replaces it
    setattr(socket.socket, "connect_ex", _guarded_connect_ex)  # noqa: B010
    socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield
    finally:
        setattr(socket.socket, "connect", _real_connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", _real_connect_ex)  # noqa: B010
        socket.getaddrinfo = _real_getaddrinfo
