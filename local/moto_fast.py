"""moto's worst DynamoDB paths, patched for the local stack and the benches (opt-in; never in the Lambda layer).

moto 5 answers every Query by sorting every item of the table (`Table.all_items()`) and, for every
TransactWriteItems, deep-copies each table the transaction names to be able to roll back. Both cost the size of the
table per request, so a storm through the local stack slows down as the table grows (time per event rose 7x from 50
to 200 connections) and the copies churn the heap (2.2 GB RSS at 500 connections). `fast_dynamodb()` patches:

- a table Query looks at its own partition only, and there only at the items its key condition can match (found
  by bisection in the partition's sorted keys, kept per partition until an item is added or deleted) and, with a
  Limit and no start key, at the Limit plus the key just beyond (moto pages on it): moto still sorts, checks the
  condition, pages, filters and projects them with its own code, so the answer is the same (up to moto's 1 MB
  page), at a cost that no longer grows with the table or the partition (a parent read with 2,000 children);
- an index Query looks at the table's items without sorting them first (moto sorts the matches by the index keys);
- a transaction snapshots only the items it names and puts exactly those back when it is cancelled.

tests/local/test_moto_fast.py replays the same requests on patched and unpatched moto and compares every answer.
Used by `LocalStack` (StackOptions.fast_moto, on unless asked otherwise) and bench/storm_scale.py; nothing under
shared/ or functions/ may import it (the layering test keeps floor 6 out of the layer).
"""

from __future__ import annotations

import bisect
import copy
import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

_local = threading.local()


def _native(value: Any) -> Any:
    """A DynamoType's value as a plain sortable key (S and B as themselves, N as a Decimal)."""
    if value.type == "N":
        return Decimal(value.value)
    return value.value


def _bump(table: Any, hash_key: Any) -> None:
    """A partition's key set changed: its sorted keys are read again on the next Query."""
    versions = table.__dict__.setdefault("_fast_versions", {})
    versions[hash_key] = versions.get(hash_key, 0) + 1


def _sorted_keys(table: Any, hash_key: Any, partition: dict[Any, Any]) -> tuple[list[Any], list[Any]]:
    cache = table.__dict__.setdefault("_fast_sorted", {})
    version = table.__dict__.setdefault("_fast_versions", {}).get(hash_key, 0)
    hit = cache.get(hash_key)
    if hit is None or hit[0] != version:
        pairs = sorted(((_native(key), key) for key in partition), key=lambda pair: pair[0])
        hit = cache[hash_key] = (version, [p[0] for p in pairs], [p[1] for p in pairs])
    return hit[1], hit[2]


def _bounds(natives: list[Any], comparison: str | None, values: list[Any]) -> tuple[int, int]:
    """[lo, hi) of the sorted keys that can satisfy the key condition (a superset: moto checks each again)."""
    lo, hi = 0, len(natives)
    if not comparison or not values:
        return lo, hi
    op, v = comparison.upper(), values
    if op in ("=", "EQ"):
        return bisect.bisect_left(natives, v[0]), bisect.bisect_right(natives, v[0])
    if op in ("<", "LT", "<=", "LE"):
        return lo, bisect.bisect_right(natives, v[0])
    if op in (">", "GT", ">=", "GE"):
        return bisect.bisect_left(natives, v[0]), hi
    if op == "BETWEEN" and len(v) == 2:
        return bisect.bisect_left(natives, v[0]), bisect.bisect_right(natives, v[1])
    if op == "BEGINS_WITH" and isinstance(v[0], str):
        lo = hi = bisect.bisect_left(natives, v[0])
        while hi < len(natives) and natives[hi].startswith(v[0]):
            hi += 1
        return lo, hi
    return lo, hi


def _candidates(table: Any, hash_key: Any, bound: Any) -> list[Any]:
    """The partition's items the query can return, in key order."""
    partition = table.items.get(hash_key) or {}
    if not partition:
        return []
    sample = next(iter(partition))
    if sample.type not in ("S", "N"):  # binary keys: moto's own order, the whole partition
        return list(partition.values())
    natives, keys = _sorted_keys(table, hash_key, partition)
    values = [_native(v) for v in bound.arguments.get("range_objs") or []]
    lo, hi = _bounds(natives, bound.arguments.get("range_comparison"), values)
    limit, forward = bound.arguments.get("limit"), bound.arguments.get("scan_index_forward", True) is not False
    if limit and not bound.arguments.get("exclusive_start_key"):
        lo, hi = (lo, min(hi, lo + limit)) if forward else (max(lo, hi - limit), hi)
    # and the next key beyond, matching or not: moto sets LastEvaluatedKey when any item follows a full page
    lo, hi = (lo, min(len(keys), hi + 1)) if forward else (max(0, lo - 1), hi)
    return [partition[key] for key in keys[lo:hi]]


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


class _CopyShim:
    """`copy` as moto's backend module sees it: a table is not deep-copied inside a patched transaction."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if getattr(_local, "in_transaction", False) and isinstance(value, self._table_type):
            return value  # the transaction keeps its own item-level snapshot instead
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for every item the transaction names."""
    out = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            key = op["Key"] if "Key" in op else {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name
            }
            hash_key, range_key = backend.get_keys_value(table, key)
        except Exception:  # a malformed request: moto's own code answers it with its error
            continue
        out.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return out


def _restore(snapshot: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_key, range_key, item in reversed(snapshot):
        _bump(table, hash_key)
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
            continue
        partition = table.items[hash_key]
        if item is None:
            partition.pop(range_key, None)
            if not partition:
                table.items.pop(hash_key, None)
        else:
            partition[range_key] = item


@contextmanager
def fast_dynamodb() -> Iterator[None]:
    """Inside: moto's DynamoDB answers as before, in time that does not grow with the table (see the module)."""
    from moto.dynamodb import models as backend_module
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    original_transact = backend_module.DynamoDBBackend.transact_write_items

    def all_items(table: Any) -> list[Any]:
        override = getattr(_local, "items", None)
        if override is not None and override[0] is table:
            return override[1]
        return original_all_items(table)

    signature = inspect.signature(original_query)
    original_put, original_delete = Table.put_item, Table.delete_item

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(table, hash_key, *args, **kwargs)
        if bound.arguments.get("index_name") is None and table.range_key_attr and hash_key is not None:
            items = _candidates(table, hash_key, bound)
        else:
            items = _every_item(table)
        saved, _local.items = getattr(_local, "items", None), (table, items)
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            _local.items = saved

    def put_item(table: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        item = original_put(table, item_attrs, *args, **kwargs)
        _bump(table, item.hash_key)  # its key may be new to the partition
        return item

    def delete_item(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        _bump(table, hash_key)
        return original_delete(table, hash_key, *args, **kwargs)

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _touched(backend, transact_items)
        _local.in_transaction = True
        try:
            return original_transact(backend, transact_items)
        except BaseException:
            _restore(snapshot)
            raise
        finally:
            _local.in_transaction = False

    with mock.patch.object(Table, "query", query), mock.patch.object(Table, "all_items", all_items), \
            mock.patch.object(Table, "put_item", put_item), mock.patch.object(Table, "delete_item", delete_item), \
            mock.patch.object(backend_module.DynamoDBBackend, "transact_write_items", transact_write_items), \
            mock.patch.object(backend_module, "copy", _CopyShim(Table)):
        yield
