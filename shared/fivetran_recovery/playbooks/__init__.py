"""The version-controlled playbook registry: schema, loader and matcher."""

from fivetran_recovery.playbooks.loader import PlaybookError, load_playbooks
from fivetran_recovery.playbooks.registry import Registry, default_registry, load_registry
from fivetran_recovery.playbooks.schema import ACTION_TRAITS, Action, Playbook, Risk, Step

__all__ = [
    "ACTION_TRAITS",
    "Action",
    "Playbook",
    "PlaybookError",
    "Registry",
    "Risk",
    "Step",
    "default_registry",
    "load_playbooks",
    "load_registry",
]
