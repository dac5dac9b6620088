"""Regenerate completions/, man/ and docs/ from the click definitions and netkit/docs/pages/
(--check: only compare)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from netkit.docs.regen import main  # after the path set-up above

if __name__ == "__main__":
    sys.exit(main())
