"""The local development stack (never deployed).

In AWS the shared package arrives as a layer at /opt/python; here it is put on the path.
"""

import sys
from pathlib import Path

_SHARED = str(Path(__file__).resolve().parent.parent / "shared")
if _SHARED not in sys.path:
    sys.path.insert(0, _SHARED)
