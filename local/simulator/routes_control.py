"""The simulator's own control plane (/__sim: no auth, loopback only): inject, advance, faults, observe."""

from __future__ import annotations

from local.simulator.routing import object_body, one, route
from local.simulator.rules import bad_request
from local.simulator.scenarios import SCENARIOS


# -- /__sim: control plane ----------------------------------------------------------------------------------
@route("GET", "/__sim/health")
def _health(sim, params, query, body):
    return 200, {"status": "ok", "now": sim.now().isoformat()}


@route("GET", "/__sim/scenarios")
def _scenarios(sim, params, query, body):
    items = [
        {
            "scenario": name,
            "description": cls.description,
            "options": sorted(cls.options),
            "error": cls.error.text if cls.error else None,
            "source": cls.error.source if cls.error else None,
        }
        for name, cls in SCENARIOS.items()
    ]
    return 200, {"items": items}


@route("GET", "/__sim/connections")
def _sim_connections(sim, params, query, body):
    return 200, {"items": [{**sim.connection(cid), "scenario": sim.scenario_of(cid)} for cid in sim.connection_ids]}


@route("POST", "/__sim/connections/{cid}/inject")
def _inject(sim, params, query, body):
    body = object_body(body)
    name = body.get("scenario")
    if not isinstance(name, str):
        raise bad_request("body needs a scenario name")
    options = body.get("options") or {k: v for k, v in body.items() if k not in ("scenario", "options")}
    return 200, {"injected": sim.inject(params["cid"], name, **options)}


@route("POST", "/__sim/connections/{cid}/complete_reauth")
def _complete_reauth(sim, params, query, body):
    return 200, {"connection": sim.complete_reauth(params["cid"])}


@route("POST", "/__sim/connections/{cid}/clear")
def _clear(sim, params, query, body):
    return 200, {"connection": sim.clear(params["cid"])}


@route("POST", "/__sim/advance")
def _advance(sim, params, query, body):
    seconds = object_body(body).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise bad_request("seconds must be a non-negative number")
    sim.advance(float(seconds))
    return 200, {"now": sim.now().isoformat()}


@route("GET", "/__sim/faults")
def _faults(sim, params, query, body):
    return 200, sim.faults.describe()


@route("POST", "/__sim/faults")
def _add_fault(sim, params, query, body):
    body = dict(object_body(body))
    stuck = body.pop("sync_stop_failure", None)
    if stuck is not None:
        if not isinstance(stuck, list) or not all(isinstance(c, str) for c in stuck):
            raise bad_request("sync_stop_failure must be a list of connection ids")
        for cid in stuck:
            sim.connection(cid)
        sim.faults.sync_stop_failure.update(stuck)
    kind = body.pop("kind", None)
    if kind is not None:
        sim.faults.add(kind, **body)
    elif body:
        raise bad_request("a fault needs a kind: rate_limit, server_error or slow")
    return 200, sim.faults.describe()


@route("DELETE", "/__sim/faults")
def _reset_faults(sim, params, query, body):
    sim.faults.reset()
    return 200, sim.faults.describe()


@route("GET", "/__sim/write_calls")
def _write_calls(sim, params, query, body):
    return 200, {"items": sim.write_calls(one(query, "connection_id"))}


@route("GET", "/__sim/webhooks/deliveries")
def _deliveries(sim, params, query, body):
    return 200, {"items": [d.summary() for d in sim.deliveries]}


@route("POST", "/__sim/webhooks/flush")
def _flush(sim, params, query, body):
    return 200, {"delivered": [d.summary() for d in sim.flush_webhooks()]}


@route("POST", "/__sim/webhooks/redeliver")
def _redeliver(sim, params, query, body):
    queued = sim.sender.redeliver_failed()
    return 200, {"queued": len(queued)}


@route("POST", "/__sim/webhooks/configure")
def _configure(sim, params, query, body):
    body = object_body(body)
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("url must be an http(s) URL")
    sim.configure_webhook(url, body.get("secret"), body.get("events"))
    return 200, {"configured": url}


@route("GET", "/__sim/status/summary.json")
def _status_summary(sim, params, query, body):
    return 200, sim.status.summary()


@route("POST", "/__sim/status")
def _set_status(sim, params, query, body):
    body = object_body(body)
    indicator = body.get("indicator", "major")
    if indicator == "none":
        sim.status.clear()
    else:
        options = {k: body[k] for k in ("components", "incident", "incident_status") if k in body}
        sim.status.set_outage(indicator, **options)
    return 200, sim.status.summary()


@route("DELETE", "/__sim/status")
def _clear_status(sim, params, query, body):
    sim.status.clear()
    return 200, sim.status.summary()
