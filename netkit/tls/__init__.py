"""TLS for connect, scan and listen: the client's diagnosis, certificates, and the byte channel.

Nothing here is imported at netkit's start-up: ``ssl`` and ``cryptography`` are loaded by the
commands that speak TLS, so `netkit conv` never pays for them.
"""

# The protocol versions --min-version and --max-version name (said here, without importing ssl).
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
