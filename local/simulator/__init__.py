"""A faithful Fivetran simulator for the local runtime (never deployed).

    sim = FivetranSimulator(webhook_url="http://127.0.0.1:3000/webhooks/fivetran", webhook_secret="s3cret")
    base_url = sim.start()            # http://127.0.0.1:PORT/v1, Basic auth sim.api_key / sim.api_secret
    sim.inject("amber_falcon", "oauth_expired")
    sim.advance(3600)                 # virtual time; syncs run, webhooks queue, LOG rows are written
    sim.flush_webhooks()
    sim.stop()

In process without a socket: `httpx.Client(transport=sim.transport())`. Control plane over HTTP (no auth):
  POST /__sim/connections/{id}/inject {"scenario", "options"?}  POST /__sim/connections/{id}/complete_reauth
  POST /__sim/connections/{id}/clear   POST /__sim/advance {"seconds"}   GET|POST|DELETE /__sim/faults
  GET /__sim/log (JSON lines)   GET /__sim/write_calls   GET /__sim/webhooks/deliveries
  POST /__sim/webhooks/flush|redeliver|configure   GET /__sim/status/summary.json   POST|DELETE /__sim/status
  GET /__sim/scenarios   GET /__sim/connections   GET /__sim/health
"""

from local.simulator.clock import DEFAULT_START
from local.simulator.fleet import DEFAULT_GROUPS, SCENARIO_HOMES, Group, SimConnection, default_fleet
from local.simulator.hooks import ALL_EVENTS
from local.simulator.rules import SimApiError
from local.simulator.scenarios import SCENARIOS, ErrorText, ScenarioError
from local.simulator.simulator import FivetranSimulator
from local.simulator.webhooks import SIGNATURE_HEADER, Delivery, sign

__all__ = [
    "ALL_EVENTS",
    "DEFAULT_GROUPS",
    "DEFAULT_START",
    "SCENARIOS",
    "SCENARIO_HOMES",
    "SIGNATURE_HEADER",
    "Delivery",
    "ErrorText",
    "FivetranSimulator",
    "Group",
    "ScenarioError",
    "SimApiError",
    "SimConnection",
    "default_fleet",
    "sign",
]
