"""The top floor of the core: one composition root per function.

`adapters.Adapters` builds the real adapters of one process lazily (no AWS client at import time) and caches
them; each `composition/<function>.py` takes what its use case needs from it and passes it to the use case's
constructor. Handlers hold a `LazyAdapters` and call their wiring module; the local stack and the tests build
their own `Adapters` (with `override(...)` for the one adapter they swap) the same way.
"""

from fivetran_recovery.composition.adapters import Adapters, LazyAdapters, utc_now

__all__ = ["Adapters", "LazyAdapters", "utc_now"]
