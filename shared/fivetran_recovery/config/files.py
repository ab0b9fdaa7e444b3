"""Where the yaml configuration lives: explicit argument > the TRIAGE_CONFIG_DIR environment variable > this
package's own folder (owners.yaml, maintenance.yaml, status_feeds.yaml, deployed with the layer)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_DIR_ENV = "TRIAGE_CONFIG_DIR"
PACKAGED_CONFIG_DIR = Path(__file__).resolve().parent


def resolve_config_dir(
    directory: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    if directory is not None:
        return Path(directory)
    env = os.environ if environ is None else environ
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV])
    if (PACKAGED_CONFIG_DIR / "owners.yaml").is_file():
        return PACKAGED_CONFIG_DIR
    raise FileNotFoundError(
        f"no config directory: pass one or set {CONFIG_DIR_ENV} (maintenance.yaml, owners.yaml)"
    )
