"""Offline checks of template.yaml and the state machine: SAM transform, cfn-lint, ASL state references.

Plain `cfn-lint template.yaml` no longer expands SAM, so broken references inside SAM resources go unseen; here
the template is packaged like `sam package` would (local paths -> S3 URIs, the ASL inlined so its substitutions
and states are checked too), transformed with aws-sam-translator, and the CloudFormation result linted.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from local.template import REPO_ROOT, load_template


class _NoManagedPolicies:
    """The translator only needs AWS managed policy ARNs for policies named by name; we name none."""

    def load(self) -> dict[str, str]:
        return {}


def packaged(template: dict[str, Any], repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """What `sam package` would hand CloudFormation: code as S3 URIs, the state machine definition inline."""
    result = copy.deepcopy(template)
    for name, resource in result["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://artifacts-bucket/{name}.zip"
        if isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((repo_root / props.pop("DefinitionUri")).read_text())
    return result


def transform(template: dict[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """Expand SAM to CloudFormation; raises samtranslator's InvalidDocumentException with its causes."""
    from samtranslator.translator.transform import transform as sam_transform

    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return sam_transform(packaged(template), {}, _NoManagedPolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def lint(cloudformation: dict[str, Any], region: str = "us-east-1") -> list[str]:
    """cfn-lint findings (errors and warnings) on a CloudFormation template, as readable lines."""
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint(json.dumps(cloudformation), config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches]


def check_template(path: Path | None = None) -> list[str]:
    """All findings for template.yaml: transform errors or lint findings; empty means clean."""
    from samtranslator.model.exceptions import InvalidDocumentException

    template = load_template(path) if path else load_template()
    try:
        cloudformation = transform(template)
    except InvalidDocumentException as exc:
        return [f"transform: {cause.message}" for cause in exc.causes]
    return lint(cloudformation)


def _states_of(machine: dict[str, Any], where: str) -> list[tuple[str, dict[str, dict[str, Any]], str]]:
    """Every (path, states, start_at) in a machine, descending into Parallel branches and Map iterators."""
    found = [(where, machine.get("States", {}), machine.get("StartAt", ""))]
    for name, state in machine.get("States", {}).items():
        for index, branch in enumerate(state.get("Branches", [])):
            found += _states_of(branch, f"{where}/{name}/branch{index}")
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found += _states_of(state[key], f"{where}/{name}/{key}")
    return found


def dangling_state_references(definition: dict[str, Any]) -> list[str]:
    """Names used by StartAt, Next, Default, Choices[].Next and Catch[].Next that name no state in scope."""
    problems = []
    for where, states, start_at in _states_of(definition, "$"):
        if start_at not in states:
            problems.append(f"{where}: StartAt names missing state {start_at!r}")
        for name, state in states.items():
            targets = [("Next", state.get("Next")), ("Default", state.get("Default"))]
            targets += [(f"Choices[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Choices", []))]
            targets += [(f"Catch[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Catch", []))]
            for field_name, target in targets:
                if target is not None and target not in states:
                    problems.append(f"{where}/{name}.{field_name} names missing state {target!r}")
            terminal = state.get("End") or state["Type"] in ("Succeed", "Fail", "Choice")
            if not terminal and "Next" not in state:
                problems.append(f"{where}/{name} has neither Next nor End")
    return problems
