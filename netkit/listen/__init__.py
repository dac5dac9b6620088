"""The listener engine: echo, discard and print servers over TCP, UDP and Unix sockets.

Three orthogonal axes, as in the stdlib's socketserver: the transport (``transport``), the
concurrency model (``mux``, one module per I/O design) and the behaviour (``config.Behaviour``).
"""
