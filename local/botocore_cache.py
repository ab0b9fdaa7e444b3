"""One botocore data loader per process, shared by every botocore session.

moto's `mock_aws` resets boto3's default session each time it starts (so a test never sees another's clients),
and every new session builds its own loader, which parses the service models (DynamoDB, Step Functions, SQS,
...) from their compressed JSON again: about a second and a half per local stack or moto test on two cores.
The models are the same files for the life of the process, so one loader (with its cache) serves every session;
sessions, clients and credentials stay per session exactly as before.
"""

from __future__ import annotations

import functools
import threading

_lock = threading.Lock()


def share_botocore_loader() -> None:
    """Make every botocore session created from now on use one cached loader per data path (idempotent)."""
    import botocore.loaders
    import botocore.session

    with _lock:
        if getattr(botocore.session.create_loader, "_shared", False):
            return
        shared = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
        shared._shared = True  # type: ignore[attr-defined]
        botocore.session.create_loader = shared
