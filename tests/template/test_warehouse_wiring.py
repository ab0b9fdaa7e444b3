"""The warehouse behind a parameter: no warehouse by default; with one, its layer, its secret and (Redshift) IAM
auth for one db user reach only the functions that run recovery SQL, and predict (it reads the query history)."""

from __future__ import annotations

import json

from local.template import load_template
from local.template_check import transform


def test_given_the_template_then_warehouse_wiring_is_conditional_and_least_privilege() -> None:
    template = load_template()
    assert template["Parameters"]["WarehouseDialect"]["Default"] == "none"
    cfn = transform(template)
    resources = cfn["Resources"]
    [layer] = [k for k in resources if k.startswith("WarehouseLayer")]  # SAM suffixes layer ids with a hash
    assert resources[layer]["Condition"] == "WarehouseEnabled"
    assert resources["WarehouseSecret"]["Condition"] == "WarehouseEnabled"
    users = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        text = json.dumps(resource["Properties"].get("Policies", []))
        if "WarehouseSecret" in text:
            users.append(logical_id)
        if "redshift:GetClusterCredentials" in text:
            assert "dbuser:${RedshiftClusterId}/${RedshiftDbUser}" in text and '"*"' not in text
    assert sorted(users) == ["NotifyFunctionRole", "PredictFunctionRole", "RemediateFunctionRole", "VerifyFunctionRole"]
    layers = json.dumps(resources["RemediateFunction"]["Properties"]["Layers"])
    assert layer in layers and "CoreLayer" in layers and "WarehouseEnabled" in layers
    env = cfn["Resources"]["DiagnoseFunction"]["Properties"]["Environment"]["Variables"]
    assert "WAREHOUSE_DIALECT" in env  # plans are rendered in the destination's dialect
