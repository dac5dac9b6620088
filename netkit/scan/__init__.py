"""netkit scan: targets (targets.py) and the connect-scan engine (engine.py)."""
