"""Make the checkout importable as ansible_collections.hapair.loadbalancer for the plugin tests."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".cache" / "unit-collections"
link = COLLECTIONS / "ansible_collections" / "hapair" / "loadbalancer"
if not link.is_symlink():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
