"""moto's worst DynamoDB paths, patched for the local stack and the benches (opt-in; never in the Lambda layer).

moto 5 answers every Query by sorting every item of the table (`Table.all_items()`) and, for every
TransactWriteItems, deep-copies each table the transaction names to be able to roll back. Both cost the size of the
table per request, so a storm through the local stack slows down as the table grows (time per event rose 7x from 50
to 200 connections) and the copies churn the heap (2.2 GB RSS at 500 connections). `fast_dynamodb()` patches:

- a table Query looks at its own partition only, handed to moto already in order (moto still sorts, filters,
  pages and projects it with its own code, so the answer is the same);
- an index Query looks at the table's items without sorting them first (moto sorts the matches by the index keys);
- a transaction snapshots only the items it names and puts exactly those back when it is cancelled.

tests/local/test_moto_fast.py replays the same requests on patched and unpatched moto and compares every answer.
Used by `LocalStack` (StackOptions.fast_moto, on unless asked otherwise) and bench/storm_scale.py; nothing under
shared/ or functions/ may import it (the layering test keeps floor 6 out of the layer).
"""

from __future__ import annotations

import copy
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


def _partition_in_order(table: Any, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key) or {}
    return sorted(partition.values(), key=lambda item: _native(item.range_key))


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

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is None and table.range_key_attr and hash_key is not None:
            items = _partition_in_order(table, hash_key)
        else:
            items = _every_item(table)
        saved, _local.items = getattr(_local, "items", None), (table, items)
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            _local.items = saved

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
            mock.patch.object(backend_module.DynamoDBBackend, "transact_write_items", transact_write_items), \
            mock.patch.object(backend_module, "copy", _CopyShim(Table)):
        yield
