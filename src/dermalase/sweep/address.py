"""A Dask scheduler's address, checked before any work starts (issue 30: a garbage
``--scheduler`` was never looked at when every point of a sweep was already stored)."""

from __future__ import annotations

from ..errors import InputError


def check_scheduler_address(field: str, address: object) -> str:
    """``address`` if Dask can read it as a scheduler address (``tcp://host:8786``,
    ``host:8786``, ``tls://...``, ``inproc://...``): a protocol Dask knows and, except for
    ``inproc``, a host and a port 1-65535 (parsed by Dask's own ``parse_address`` and
    ``parse_host_port``). Whether a scheduler answers there is learned when one is needed."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    allowed = "a Dask scheduler address such as tcp://host:8786 (protocols: " \
        + ", ".join(sorted(backends)) + ")"
    if not isinstance(address, str) or not address.strip() or not address.isprintable():
        raise InputError(field, address, allowed)
    try:
        scheme, location = parse_address(address, strict=False)
        if scheme not in backends:
            raise ValueError(scheme)
        if scheme != "inproc":
            host, port = parse_host_port(location)
            if not host or port is None or not 1 <= int(port) <= 65535:
                raise ValueError(location)
    except (ValueError, TypeError):
        raise InputError(field, address, allowed) from None
    return address
