"""Loading playbook YAML files into validated `Playbook` models.

Where the files come from: explicit directory > the PLAYBOOKS_DIR environment variable > the copy packaged inside
this package (`definitions/`). The version-controlled source of truth is the repo's top-level `playbooks/`
folder; the deployed layer only ships `shared/`, so the package carries an identical copy, and
tests/playbooks/test_registry.py fails if the two ever differ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from fivetran_recovery.playbooks.schema import Playbook

PACKAGED_DIR = Path(__file__).with_name("definitions")
ENV_VAR = "PLAYBOOKS_DIR"


class PlaybookError(ValueError):
    """A playbook file is missing, malformed or invalid."""


def resolve_directory(
    directory: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    if directory is not None:
        return Path(directory)
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    return PACKAGED_DIR


def load_playbook(path: Path) -> Playbook:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PlaybookError(f"{path.name}: cannot read YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PlaybookError(f"{path.name}: expected a mapping at the top level")
    try:
        playbook = Playbook.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PlaybookError(f"{path.name}: {problems}") from None
    if playbook.id != path.stem:
        raise PlaybookError(f"{path.name}: id {playbook.id!r} must equal the file name")
    return playbook


def load_playbooks(directory: str | os.PathLike[str] | None = None) -> list[Playbook]:
    folder = resolve_directory(directory)
    if not folder.is_dir():
        raise PlaybookError(f"playbook directory {folder} does not exist")
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise PlaybookError(f"no *.yaml playbooks in {folder}")
    return [load_playbook(path) for path in files]
