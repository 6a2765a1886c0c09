"""On Lambda, a function module loads with the cyclic garbage collector paused.

Every function's module imports this first (but the migrate function's, run once per
deploy). Loading an HTTP function allocates some 180,000 objects and frees almost none,
yet the collector would run about 250 young and one or two full collections over them
(a full one takes about 50 ms on a 2-core machine), and the first request would often
pay another full one.

So on Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) the collector is paused until the
first invocation calls ``loaded``: ``lectern.api.app.lambda_handler``'s handler does, and
each background function's handler does first. Then everything the load made moves
to the permanent generation (``gc.freeze``) and the collector runs again. Later full
collections scan only what requests make, so they are short too. Loading leaves a few
hundred cyclic objects that a collection would have freed; frozen, they stay.

Elsewhere (tests, the local server) nothing is paused.
"""

from __future__ import annotations

import gc
import os

_paused = [bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and gc.isenabled()]
if _paused[0]:
    gc.disable()


def loaded() -> None:
    """The function is loaded: freeze what loading made and collect again (once)."""
    if _paused[0]:
        _paused[0] = False
        gc.freeze()
        gc.enable()
