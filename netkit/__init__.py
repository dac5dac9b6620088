"""netkit: network diagnostics from the command line (nc, dig, ipcalc and ss in one tool)."""

__version__ = "0.1.0"
