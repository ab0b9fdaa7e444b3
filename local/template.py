"""Read template.yaml (CloudFormation short-form tags included) and resolve the bits the local stack needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_TAGS_SCALAR = {"Ref": "Ref", "Condition": "Condition"}
_TAGS_FN = ["GetAtt", "Sub", "If", "Equals", "Join", "Select", "Split", "Not", "And", "Or", "FindInMap",
            "GetAZs", "Base64", "ImportValue", "Cidr", "Length", "ToJsonString"]


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref X` into {"Ref": "X"} and `!GetAtt A.B` into {"Fn::GetAtt": ["A", "B"]}."""


def _construct(tag_name: str):
    key = tag_name if tag_name in _TAGS_SCALAR else f"Fn::{tag_name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_name == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in [*_TAGS_SCALAR, *_TAGS_FN]:
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, short-form tags expanded to their long form."""
    return yaml.load(path.read_text(), Loader=_CfnLoader)


@lru_cache(maxsize=4)
def cached_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return load_template(path)


@dataclass
class Resolver:
    """Evaluates intrinsic functions against local physical ids, attributes and parameter values."""

    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = "123456789012"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        (key, arg), = value.items()
        if key == "Ref":
            return self._ref(arg)
        if key == "Fn::GetAtt":
            resource, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.attributes[(resource, attribute)]
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::If":
            condition, when_true, when_false = arg
            return self.resolve(when_true if self.conditions[condition] else when_false)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return str(left) == str(right)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(self.resolve(i)) for i in items)
        return {key: self.resolve(arg)}

    def evaluate_conditions(self, conditions: dict[str, Any]) -> None:
        for name, expression in conditions.items():
            self.conditions[name] = bool(self.resolve(expression))

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": self.account_id, "AWS::URLSuffix": "amazonaws.com",
                  "AWS::StackName": "fivetran-recovery-local", "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token and not token.startswith("AWS::"):
                resource, attribute = token.split(".", 1)
                return self.attributes[(resource, attribute)]
            return str(self._ref(token))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in template["Resources"].items() if spec["Type"] == resource_type}
