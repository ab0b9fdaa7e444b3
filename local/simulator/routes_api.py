"""The Fivetran REST API routes of the simulator (/v1), as the definitions in ../shared/fivetran/openapi/ name them."""

from __future__ import annotations

from local.simulator.routing import limit, object_body, ok, one, route
from local.simulator.rules import SimApiError, bad_request


# -- /v1: connections ---------------------------------------------------------------------------------------
@route("GET", "/v1/connections")
def _list_connections(sim, params, query, body):
    items, cursor = sim.list_connections(
        group_id=one(query, "group_id"),
        schema=one(query, "schema"),
        cursor=one(query, "cursor"),
        limit=limit(query),
    )
    return ok({"items": items, "next_cursor": cursor})


@route("GET", "/v1/groups/{gid}/connections")
def _list_group_connections(sim, params, query, body):
    items, cursor = sim.list_connections(
        group_id=params["gid"], schema=one(query, "schema"), cursor=one(query, "cursor"), limit=limit(query)
    )
    return ok({"items": items, "next_cursor": cursor})


@route("GET", "/v1/connections/{cid}")
def _get_connection(sim, params, query, body):
    return ok(sim.connection(params["cid"]))


@route("PATCH", "/v1/connections/{cid}")
def _patch_connection(sim, params, query, body):
    return ok(sim.patch_connection(params["cid"], object_body(body)), "Connection has been updated")


@route("POST", "/v1/connections/{cid}/sync")
def _sync(sim, params, query, body):
    force = object_body(body).get("force", False)
    if not isinstance(force, bool):
        raise bad_request("force must be a boolean")
    return ok(message=sim.sync(params["cid"], force=force))


@route("POST", "/v1/connections/{cid}/force")
def _force(sim, params, query, body):
    """The legacy "sync connector data" route (also /v1/connectors/{id}/force, GO v1.3.3, ASTRO): a sync now."""
    return ok(message=sim.sync(params["cid"], force=False))


@route("GET", "/v1/connections/{cid}/sync-history")
def _sync_history(sim, params, query, body):
    items, cursor = sim.sync_history(
        params["cid"],
        start_time=one(query, "start_time"),
        end_time=one(query, "end_time"),
        cursor=one(query, "cursor"),
        limit=limit(query),
    )
    return ok({"items": items, "next_cursor": cursor})


@route("POST", "/v1/connections/{cid}/resync")
def _resync(sim, params, query, body):
    scope = object_body(body).get("scope")
    return ok(message=sim.resync(params["cid"], scope=scope))


@route("POST", "/v1/connections/{cid}/schemas/tables/resync")
def _resync_tables(sim, params, query, body):
    return ok(message=sim.resync_tables(params["cid"], object_body(body)))


@route("POST", "/v1/connections/{cid}/test")
def _setup_tests(sim, params, query, body):
    object_body(body)
    return ok(sim.run_setup_tests(params["cid"]), "Setup tests were completed")


@route("GET", "/v1/connections/{cid}/state")
def _state(sim, params, query, body):
    sim.connection(params["cid"])  # 404 first
    raise SimApiError(405, "MethodNotAllowed", "The connection is not a Function or Connector SDK connection")


@route("GET", "/v1/connections/{cid}/schemas")
def _schemas(sim, params, query, body):
    return ok(sim.schema_config(params["cid"]))


@route("PATCH", "/v1/connections/{cid}/schemas")
def _patch_schemas(sim, params, query, body):
    return ok(sim.patch_schema_config(params["cid"], object_body(body)))


@route("PATCH", "/v1/connections/{cid}/schemas/{schema}")
def _patch_schema(sim, params, query, body):
    return ok(sim.patch_schema(params["cid"], params["schema"], object_body(body)))


@route("PATCH", "/v1/connections/{cid}/schemas/{schema}/tables/{table}")
def _patch_table(sim, params, query, body):
    return ok(sim.patch_table(params["cid"], params["schema"], params["table"], object_body(body)))


@route("PATCH", "/v1/connections/{cid}/schemas/{schema}/tables/{table}/columns/{column}")
def _patch_column(sim, params, query, body):
    patch = object_body(body)
    return ok(sim.patch_column(params["cid"], params["schema"], params["table"], params["column"], patch))


@route("GET", "/v1/connections/{cid}/schemas/{schema}/tables/{table}/columns")
def _columns(sim, params, query, body):
    return ok(sim.table_columns(params["cid"], params["schema"], params["table"]))


@route("POST", "/v1/connections/{cid}/schemas/reload")
def _reload(sim, params, query, body):
    mode = object_body(body).get("exclude_mode", "PRESERVE")
    return ok(sim.reload_schema(params["cid"], exclude_mode=mode))


@route("POST", "/v1/connections/{cid}/connect-card")
def _connect_card(sim, params, query, body):
    config = object_body(body).get("connect_card_config") or {}
    if not isinstance(config, dict):
        raise bad_request("connect_card_config must be an object")
    return ok(sim.create_connect_card(params["cid"], config))


# -- /v1: webhooks ------------------------------------------------------------------------------------------
@route("GET", "/v1/webhooks")
def _list_webhooks(sim, params, query, body):
    items, cursor = sim.webhooks.list(cursor=one(query, "cursor"), limit=limit(query))
    return ok({"items": items, "nextCursor": cursor})  # the collection spells it nextCursor here


@route("POST", "/v1/webhooks/account")
def _create_account_webhook(sim, params, query, body):
    return ok(sim.create_webhook(object_body(body)), "Account webhook has been created")


@route("POST", "/v1/webhooks/group/{gid}")
def _create_group_webhook(sim, params, query, body):
    return ok(sim.create_webhook(object_body(body), group_id=params["gid"]), "Group webhook has been created")


@route("GET", "/v1/webhooks/{wid}")
def _get_webhook(sim, params, query, body):
    return ok(sim.webhooks.get(params["wid"]))


@route("PATCH", "/v1/webhooks/{wid}")
def _patch_webhook(sim, params, query, body):
    return ok(sim.patch_webhook(params["wid"], object_body(body)), "Webhook has been updated")


@route("DELETE", "/v1/webhooks/{wid}")
def _delete_webhook(sim, params, query, body):
    sim.webhooks.delete(params["wid"])
    return ok(message="Webhook has been deleted")


@route("POST", "/v1/webhooks/{wid}/test")
def _test_webhook(sim, params, query, body):
    event = object_body(body).get("event", "sync_start")
    if not isinstance(event, str) or not event:
        raise bad_request("event must be an event name")
    return ok(sim.test_webhook(params["wid"], event))
