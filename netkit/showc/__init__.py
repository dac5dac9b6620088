"""`--show-c`: the complete C program that does what a netkit invocation does.

Each module generates one family of programs as text, from typed parameters, in the style of the
C socket reference (short names, the socket calls in plain sight) but correct where the reference
cuts corners: partial writes, EINTR, EAGAIN, half-close and an error check on every call. The
generators are pure: they return the source and never print. The CLI imports them only when
--show-c is given, so they cost nothing at start-up otherwise.
"""
