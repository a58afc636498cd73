"""Loaded by every vctrade process run.sh starts (PYTHONPATH): no connection leaves loopback.

The conformance suite asks the service to resolve did:web:example.com (expecting 404); a name that is
not loopback resolves to nothing here, so that resolution fails fast instead of going to the Internet.
Each refusal is appended to $TRACE_NET_GUARD_LOG (run.sh warns when it is not empty).
"""
import ipaddress
import os
import socket

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
_getaddrinfo, _connect, _connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex


def _note(host: object) -> None:
    log = os.environ.get("TRACE_NET_GUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{host}\n")


def _loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None and not _loopback(host):
        _note(host)
        raise socket.gaierror(socket.EAI_NONAME, f"net guard: {host} is not loopback")
    return _getaddrinfo(host, *args, **kwargs)


def _target(address: object) -> object:
    return address[0] if isinstance(address, tuple) and address else None


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(_target(address)):
        _note(_target(address))
        raise ConnectionRefusedError(f"net guard: {_target(address)} is not loopback")
    return _connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(_target(address)):
        _note(_target(address))
        return 111  # ECONNREFUSED
    return _connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
