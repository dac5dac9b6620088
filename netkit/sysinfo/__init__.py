"""What ss and ip show, read through psutil: sockets (conns) and interfaces (ifaces)."""
