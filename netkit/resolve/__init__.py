"""Name resolution: the system resolver (gethostbyname, getaddrinfo) and direct DNS queries."""
