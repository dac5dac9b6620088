"""OCSP stapling, which Python's ssl module does not expose, asked of OpenSSL directly.

Python's ssl has no way to send the status_request extension (RFC 6066 section 8) or to read the
response a server staples. OpenSSL has both as two control calls, SSL_CTX_ctrl(ctx,
SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE, TLSEXT_STATUSTYPE_ocsp) before the handshake and
SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP) after it, and the library is the one the
_ssl extension module is linked with, so ctypes reaches them through _ssl's own handle.

What ctypes needs is the SSL_CTX and SSL pointers inside CPython's objects. They are the first
fields after the object header in _ssl.c's PySSLContext (``SSL_CTX *ctx``) and, after the
``PyObject *Socket`` weak reference, in PySSLSocket (``SSL *ssl``): a layout unchanged from
CPython 3.7 to 3.13. The header's size is ``object.__basicsize__`` (larger in trace-refs
builds). The context pointer is checked before use (SSL_CTX_get_verify_mode must agree with the
context's verify_mode), and anything unexpected (another interpreter, a missing symbol) makes the
answer "unknown" rather than a guess.
"""

import ctypes
import ssl
import sys

_SET_STATUS_REQUEST_TYPE = 65  # SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE
_GET_OCSP_RESPONSE = 70  # SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP
_STATUS_TYPE_OCSP = 1  # TLSEXT_STATUSTYPE_ocsp
_HEADER = object.__basicsize__
# How _ssl.c sets SSL_CTX_set_verify for each verify_mode (SSL_VERIFY_PEER = 1,
# SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2).
_OPENSSL_VERIFY_MODES = {ssl.CERT_NONE: 0, ssl.CERT_OPTIONAL: 1, ssl.CERT_REQUIRED: 3}


def _library() -> ctypes.CDLL | None:
    if sys.implementation.name != "cpython":
        return None
    try:
        library = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]  # the extension module
        for name in ("SSL_CTX_ctrl", "SSL_ctrl"):
            function = getattr(library, name)
            function.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
            function.restype = ctypes.c_long
        library.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        library.SSL_CTX_get_verify_mode.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return library


def _pointer(obj: object, offset: int) -> int | None:
    value = ctypes.c_void_p.from_address(id(obj) + offset).value
    return int(value) if value else None


def request_stapling(context: ssl.SSLContext) -> bool:
    """Ask servers for a stapled OCSP response on connections made with ``context``; False
    when that cannot be done here."""
    library = _library()
    ctx = _pointer(context, _HEADER)
    if library is None or ctx is None:
        return False
    if library.SSL_CTX_get_verify_mode(ctx) != _OPENSSL_VERIFY_MODES[context.verify_mode]:
        return False  # not the layout described above: leave it alone
    return bool(library.SSL_CTX_ctrl(ctx, _SET_STATUS_REQUEST_TYPE, _STATUS_TYPE_OCSP, None))


def stapled(sock: ssl.SSLSocket) -> bool | None:
    """Whether the server stapled an OCSP response in the handshake; None when unknown."""
    library = _library()
    inner = getattr(sock, "_sslobj", None)
    handle = None if inner is None else _pointer(inner, _HEADER + ctypes.sizeof(ctypes.c_void_p))
    if library is None or handle is None:
        return None
    response = ctypes.c_void_p()
    length = library.SSL_ctrl(handle, _GET_OCSP_RESPONSE, 0, ctypes.byref(response))
    return length > 0 and response.value is not None
