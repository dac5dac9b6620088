"""Documentation generated from the click definitions: man pages and shell completion files.

Not imported by any command; scripts/regen-docs.py writes man/ and completions/ from it.
"""
