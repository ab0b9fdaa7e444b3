"""A gradient-boosted tree ensemble fitted offline and shipped as plain JSON, evaluated in plain Python.

bench/offline/predict_trees.py fits it with scikit-learn (never installed in the Lambda layer) and writes every
tree as flat arrays: the feature and threshold of each split (a value <= the threshold goes left), the children,
and a value for every node: a leaf's fitted log-odds, an inner node's mean over the training cases that reached
it. The risk is sigmoid(base + the leaves reached). Each split on the path moves the value from a node to its
child; that move is credited to the split's feature (path attribution), so the log-odds are exactly the bias
(base + every root's value) plus one contribution per feature: those contributions are the reasons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

FORMAT = "fivetran-recovery/gradient-boosted-trees/1"


class ModelError(ValueError):
    """The model file is missing, unreadable or not a well-formed tree ensemble."""


@dataclass(frozen=True, slots=True)
class Tree:
    feature: tuple[int, ...]  # index into TreeModel.features; -1 at a leaf
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def path(self, x: list[float]) -> list[int]:
        node, out = 0, [0]
        while self.feature[node] >= 0:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
            out.append(node)
        return out


@dataclass(frozen=True, slots=True)
class TreeModel:
    features: tuple[str, ...]
    base: float
    trees: tuple[Tree, ...]
    fitted_on: str = ""

    def vector(self, values: Mapping[str, float]) -> list[float]:
        missing = [name for name in self.features if name not in values]
        if missing:
            raise ModelError(f"the model reads features nobody computed: {', '.join(missing)}")
        x = [float(values[name]) for name in self.features]
        if not all(math.isfinite(v) for v in x):
            raise ModelError(f"a feature is not a finite number: {dict(zip(self.features, x, strict=True))}")
        return x

    def log_odds(self, values: Mapping[str, float]) -> float:
        x = self.vector(values)
        return self.base + sum(tree.value[tree.path(x)[-1]] for tree in self.trees)

    def explain(self, values: Mapping[str, float]) -> tuple[float, float, dict[str, float]]:
        """(log-odds, bias, contribution per feature): log-odds == bias + sum(contributions)."""
        x = self.vector(values)
        bias, total = self.base, self.base
        contributions: dict[str, float] = {}
        for tree in self.trees:
            path = tree.path(x)
            bias += tree.value[0]
            total += tree.value[path[-1]]
            for parent, child in pairwise(path):
                name = self.features[tree.feature[parent]]
                contributions[name] = contributions.get(name, 0.0) + tree.value[child] - tree.value[parent]
        return total, bias, contributions


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(f"{what} is not a finite number: {value!r}")
    return float(value)


def _tree(raw: Any, index: int, n_features: int) -> Tree:
    where = f"tree {index}"
    if not isinstance(raw, dict):
        raise ModelError(f"{where} is not an object")
    arrays = {}
    for key in ("feature", "threshold", "left", "right", "value"):
        if not isinstance(raw.get(key), list) or not raw[key]:
            raise ModelError(f"{where}: `{key}` must be a non-empty list")
        arrays[key] = raw[key]
    n = len(arrays["value"])
    if any(len(a) != n for a in arrays.values()):
        raise ModelError(f"{where}: feature, threshold, left, right and value differ in length")
    for node in range(n):
        feature, left, right = arrays["feature"][node], arrays["left"][node], arrays["right"][node]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (feature, left, right)):
            raise ModelError(f"{where}, node {node}: feature and children must be integers")
        _finite(arrays["value"][node], f"{where}, node {node}: value")
        if feature == -1:
            continue
        if not 0 <= feature < n_features:
            raise ModelError(f"{where}, node {node}: feature {feature} is not one of the {n_features} features")
        _finite(arrays["threshold"][node], f"{where}, node {node}: threshold")
        if not (node < left < n and node < right < n):  # children after their parent: no cycles, no dangling
            raise ModelError(f"{where}, node {node}: children {left}, {right} out of order or out of range")
    return Tree(tuple(arrays["feature"]), tuple(float(t) for t in arrays["threshold"]), tuple(arrays["left"]),
                tuple(arrays["right"]), tuple(float(v) for v in arrays["value"]))


def parse_model(document: Any, source: str = "model") -> TreeModel:
    """A TreeModel from the exported document; ModelError naming `source` and what is wrong otherwise."""
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ModelError(f"not a tree model: `format` must be {FORMAT!r}")
        features = document.get("features")
        if (not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features)
                or len(set(features)) != len(features)):
            raise ModelError("`features` must be a non-empty list of distinct names")
        trees = document.get("trees")
        if not isinstance(trees, list) or not trees:
            raise ModelError("`trees` must be a non-empty list")
        return TreeModel(tuple(features), _finite(document.get("base"), "`base`"),
                         tuple(_tree(t, i, len(features)) for i, t in enumerate(trees)),
                         str(document.get("fitted_on", "")))
    except ModelError as error:
        raise ModelError(f"{source}: {error}") from None


def load_model(path: Path) -> TreeModel:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: cannot read the model: {error}") from None
    return parse_model(document, str(path))
