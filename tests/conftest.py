"""Session-wide test settings.

The tests never leave this machine: name resolution and connections to anything but loopback
(and this host's own name) are refused in the test process, so a cloud client that is handed a
fake token fails at once instead of sending a request out (the QPU / IBM paths are exercised
offline with the vendors' test doubles: MockDWaveSampler, fake IBM backends).
"""

from __future__ import annotations

import ipaddress
import socket


_LOCAL_NAMES = {"localhost", socket.gethostname(), socket.getfqdn(), ""}
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host in _LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return (
        addr.is_loopback
        or addr.is_unspecified
        or addr in {ipaddress.ip_address(a) for a in _host_addresses()}
    )


def _host_addresses() -> set[str]:
    try:
        return {info[4][0] for info in _real_getaddrinfo(socket.gethostname(), None)}
    except OSError:
        return set()


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _is_local(host):
        raise socket.gaierror(
            socket.EAI_NONAME, f"tests run offline: refusing to resolve {host!r}"
        )
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not _is_local(address[0]):
            raise ConnectionRefusedError(
                f"tests run offline: refusing to connect to {address[0]!r}"
            )
    return _real_connect(self, address)


socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
