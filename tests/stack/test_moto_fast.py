"""local/moto_fast.py: the same answers as unpatched moto, without its whole-table work per request."""

from __future__ import annotations

import copy
import random
from contextlib import nullcontext
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from local.moto_fast import fast_dynamodb
from local.template import load_template

TABLE = "incidents"


def _table(client: Any) -> None:
    props = load_template()["Resources"]["IncidentsTable"]["Properties"]
    client.create_table(TableName=TABLE, **{k: props[k] for k in ("AttributeDefinitions", "KeySchema",
                                                                  "BillingMode", "GlobalSecondaryIndexes")})


def _item(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: ({"N": str(v)} if isinstance(v, int) else {"S": v})
                                                 for k, v in extra.items()}}


def _workload(client: Any) -> list[Any]:
    """Puts, updates, deletes, transactions that commit and ones that are cancelled, every kind of read, then more
    writes (keys added and removed between reads) and the reads again."""
    rng = random.Random(7)
    for n in range(100):
        pk = f"INC#{n % 23}"
        client.put_item(TableName=TABLE, Item=_item(pk, rng.choice(["META", "COUNTS", f"CHILD#{n:04d}"]),
                                                     gsi1pk=f"CONN#{n % 7}", gsi1sk=f"2026-{n:04d}", n=n))
    answers = _transactions(client, range(30)) + _reads(client)
    for n in range(150, 180):
        client.put_item(TableName=TABLE, Item=_item(f"INC#{n % 5}", f"CHILD#{n:04d}", n=n))
        client.delete_item(TableName=TABLE, Key=_item(f"INC#{n % 4}", f"CHILD#{n - 140:04d}"))
    return answers + _transactions(client, range(30, 45)) + _reads(client)


def _transactions(client: Any, numbers: range) -> list[Any]:
    answers: list[Any] = []
    for n in numbers:
        writes = [{"Put": {"TableName": TABLE, "Item": _item(f"INC#{n % 5}", f"T#{n}", v=n),
                           "ConditionExpression": "attribute_not_exists(pk)"}},
                  {"Update": {"TableName": TABLE, "Key": _item(f"INC#{n % 23}", "COUNTS"),
                              "UpdateExpression": "ADD #e :one", "ExpressionAttributeNames": {"#e": "events"},
                              "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                  {"Delete": {"TableName": TABLE, "Key": _item(f"INC#{n % 11}", f"CHILD#{n * 3:04d}")}}]
        if n % 3 == 0:  # cancelled: nothing of it may stay
            writes.append({"ConditionCheck": {"TableName": TABLE, "Key": _item("INC#0", "NOPE"),
                                              "ConditionExpression": "attribute_exists(pk)"}})
        try:
            client.transact_write_items(TransactItems=writes)
            answers.append("ok")
        except ClientError as error:
            answers.append([r.get("Code") for r in error.response.get("CancellationReasons", [])])
    return answers


def _reads(client: Any) -> list[Any]:
    answers: list[Any] = []
    for pk in ("INC#0", "INC#4", "INC#99"):
        for condition, values in (("pk = :p", {}), ("pk = :p AND begins_with(sk, :b)", {":b": {"S": "CHILD#"}}),
                                  ("pk = :p AND sk BETWEEN :a AND :z", {":a": {"S": "CHILD#"}, ":z": {"S": "META"}}),
                                  ("pk = :p AND sk <= :z", {":z": {"S": "CHILD#0150"}}),
                                  ("pk = :p AND sk > :z", {":z": {"S": "CHILD#0100"}})):
            for forward in (True, False):
                answers.append(_pages(client, KeyConditionExpression=condition, ScanIndexForward=forward, Limit=4,
                                      ExpressionAttributeValues={":p": {"S": pk}, **values}))
        answers.append(_pages(client, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}}))
    for conn in ("CONN#0", "CONN#3", "CONN#9"):
        answers.append(_pages(client, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p", ScanIndexForward=False,
                              Limit=5, ExpressionAttributeValues={":p": {"S": conn}}))
    answers.append(sorted(str(i) for page in client.get_paginator("scan").paginate(TableName=TABLE)
                          for i in page["Items"]))
    return answers


def _pages(client: Any, **kwargs: Any) -> list[Any]:
    out, start = [], None
    for _ in range(200):
        page = client.query(TableName=TABLE, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        out.append((page["Items"], page.get("LastEvaluatedKey"), page["Count"]))
        start = page.get("LastEvaluatedKey")
        if not start:
            return out
    raise AssertionError("query did not finish paging")


def _run(patched: bool) -> list[Any]:
    with mock_aws(), (fast_dynamodb() if patched else nullcontext()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        return _workload(client)


def test_given_the_same_requests_then_patched_moto_answers_exactly_as_moto() -> None:
    plain = _run(patched=False)
    assert ["ok" for a in plain if a == "ok"] and [a for a in plain if a != "ok" and isinstance(a, list)]
    assert _run(patched=True) == plain


def test_given_the_patch_then_a_query_does_not_sort_the_table_and_a_transaction_does_not_copy_it() -> None:
    from moto.dynamodb.models.table import Table

    original = Table.all_items
    with mock_aws(), mock.patch.object(Table, "all_items", autospec=True, side_effect=original) as whole_table, \
            mock.patch.object(copy, "deepcopy", side_effect=copy.deepcopy) as copies, fast_dynamodb():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        for n in range(50):
            client.put_item(TableName=TABLE, Item=_item(f"INC#{n}", "META"))
        copies.reset_mock()
        client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": _item("INC#1", "COUNTS")}}])
        client.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "INC#1"}})
        assert whole_table.call_count == 0
        assert not [c for c in copies.call_args_list if isinstance(c.args[0], Table)]
        client.scan(TableName=TABLE)  # everything else is moto's own path
        assert whole_table.call_count == 1
