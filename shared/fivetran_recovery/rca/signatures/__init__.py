"""Signature tables by error family. `ALL_SIGNATURES` is what the classifier scans, most specific first."""

from fivetran_recovery.rca.signatures import (
    databases,
    families,
    fivetran,
    http_oauth,
    network,
    phrases,
    warehouses,
    wording,
)
from fivetran_recovery.rca.signatures.base import Signature, sig
from fivetran_recovery.rca.signatures.fivetran import TASK_TYPES

ALL_SIGNATURES: tuple[Signature, ...] = tuple(
    sorted(
        [
            *fivetran.SIGNATURES,
            *warehouses.SIGNATURES,
            *databases.SIGNATURES,
            *http_oauth.SIGNATURES,
            *network.SIGNATURES,
            *phrases.SIGNATURES,
            *wording.SIGNATURES,
            *families.SIGNATURES,
        ],
        key=lambda s: -s.weight,
    )
)

__all__ = ["ALL_SIGNATURES", "TASK_TYPES", "Signature", "sig"]
