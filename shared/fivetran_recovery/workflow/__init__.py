"""The recovery workflow: building its input (the contract with diagnose), its configuration and use cases.

`build_workflow_input` is imported lazily so that policy and planning modules can import
`fivetran_recovery.workflow.context` / `.config` without an import cycle.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_workflow_input"]


def __getattr__(name: str) -> Any:
    if name == "build_workflow_input":
        from fivetran_recovery.workflow.build import build_workflow_input

        return build_workflow_input
    raise AttributeError(name)
