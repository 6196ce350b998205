"""``create_ssl_context``: a client TLS context with certificate and hostname checks on.

aiokafka-compatible signature. Must not weaken verification: callers who want no checks
build their own ``ssl.SSLContext``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

__all__ = ["create_ssl_context"]


def create_ssl_context(
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    password: str | bytes | Callable[[], str | bytes] | None = None,
    crlfile: str | None = None,
) -> ssl.SSLContext:
    """A TLS client context trusting the given CAs (system CAs when none) and, with
    ``certfile``, presenting a client certificate (mTLS). ``crlfile`` turns on leaf CRL
    checks."""
    context = ssl.create_default_context(
        purpose=ssl.Purpose.SERVER_AUTH, cafile=cafile, capath=capath, cadata=cadata
    )
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile, password)
    if crlfile is not None:
        context.load_verify_locations(crlfile)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context
