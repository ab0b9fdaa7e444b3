"""Risk that a connection's syncs fail in the next 24 hours, each part explained, with a lead-time estimate.

Each failure mechanism a data engineer knows has its own evidence (documented beside each): a long time since
the last success, source quota running out (retries over their baseline and climbing, reschedules), data growth
(durations trending up day over day after seasonal adjustment), the source or replication slowing (time per row,
a growing replication slot lag), the destination slowing (write time per row), warnings of any kind above their
own rate, an expiring credential, failures clustering, and the background chance that grows with the number of
syncs a day.

The shipped risk is a gradient-boosted tree model fitted offline (bench/offline/predict_trees.py, scikit-learn on
generated fleets whose seeds the backtest does not report) over plain measurements of those mechanisms
(prediction/inputs.py), shipped as JSON (model.json) and evaluated in plain Python (prediction/trees.py): no
runtime dependency. Each reason's share is the sum of its mechanism's contributions along the trees' paths (in
log-odds), so the reasons add up to the risk. A connection the trees were not fitted on (under a week of
history, or no row counts: trees_apply) is scored by the logistic of each mechanism's hand-set log-odds
(coefficients.json, bench/offline/predict_fit.py); that logistic and the hand-made noisy-OR,
1 - prod(1 - p_i), are also the backtest's comparisons. A stalled or failing connection, or
a credential whose stated expiry falls in the next 24 h, is never scored below that evidence. Deterministic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from fivetran_recovery.prediction.features import HARMLESS_KINDS, Profile, deadline_in, is_credential_kind, profile
from fivetran_recovery.prediction.inputs import kind_of, model_inputs
from fivetran_recovery.prediction.syncs import SyncRecord
from fivetran_recovery.prediction.trees import ModelError, TreeModel, load_model

LEVELS = ((0.5, "high"), (0.25, "medium"), (0.0, "low"))
BACKGROUND_PER_SYNC = 0.001  # failures with no precursor, per sync (a fleet-wide rate; measure your own from the LOG)
# Median hours from a true `high` flag to the failure, per leading reason, measured by bench/predict_backtest.py
# --seeds 7,8,9,10,11,12 with the tree model (quota, growth, slowdown, warnings, credential without a stated
# date); destination and clustering are rarely the leading reason there and keep a conservative guess. Used when
# the evidence gives no date of its own.
LEAD_HOURS = {"stale": 0.0, "failing": 0.0, "quota": 4.6, "slowdown": 8.3, "growth": 7.2, "destination": 12.0,
              "warnings": 10.9, "credential": 10.7, "clustering": 4.0, "background": 24.0}


class RiskAssessment(BaseModel):
    connection_id: str
    risk: float = Field(ge=0, le=1)
    level: str
    reasons: list[str]
    signals: dict[str, float | int | str | None]
    kind: str | None = None  # the leading mechanism: stale, quota, growth, destination, warnings, credential, ...
    lead_time_hours: float | None = None  # estimated hours until the failure, when the risk is not low


@dataclass
class Part:
    kind: str
    z: float  # log-odds of a failure in 24 h from this evidence alone
    reason: str
    lead_hours: float | None = None
    forms: dict[str, float] = field(default_factory=dict)  # extra evidence of the same kind for the fit, by form

    @property
    def p(self) -> float:
        return _sigmoid(self.z)


NO_SIGNS = "no warning signs against its own baseline"
OVERRIDES = frozenset({"stale", "failing"})  # states, not precursors: outside the fit (the backtest scores only
# connections healthy at the cut), they set a floor under the risk
FLOORS = OVERRIDES | {"credential"}  # a date Fivetran states is a fact, not a trend: its risk is a floor too
FLOOR = -3.0  # log-odds where evidence starts to count fully (p = 0.05)
WEAK = -6.0  # below this (p < 0.0025) it counts as none
BUSY_KINDS = frozenset({"clustering", "quota", "warnings"})  # evidence that recurs per sync
COEFFICIENTS = Path(__file__).with_name("coefficients.json")
MODEL = Path(__file__).with_name("model.json")
SHOWN_SHARE = 0.5  # a mechanism whose inputs add at least this much log-odds is named as a reason
TREE_MIN_DAYS = 6.0  # the trees were fitted on connections with a week of history and row counts (see trees_apply)


def level_of(risk: float) -> str:
    return next(name for floor, name in LEVELS if risk >= floor)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 30), -30)))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _stale(pr: Profile) -> Part | None:
    """No success for many intervals: the connection is broken or stalled, whatever its last sync said."""
    interval = max(pr.interval_hours or 24.0, 0.25)
    if pr.hours_since_success is None:
        if pr.reschedules_without_success >= 2 or pr.consecutive_failures:
            n = pr.reschedules_without_success + pr.consecutive_failures
            return Part("stale", -1 + 0.8 * n, f"no successful sync in the log; {n} syncs since rescheduled "
                        "or failed", 0.0)
        return None
    overdue = pr.hours_since_success / interval
    if overdue < 3 or pr.hours_since_success < 6:
        return None
    return Part("stale", -2.2 + 1.3 * math.log(overdue), f"no successful sync for {pr.hours_since_success:,.0f} h "
                f"(it syncs every {interval:g} h)", 0.0)


def _failing(pr: Profile) -> Part | None:
    """Already failing: the next sync on the same cause fails too, unless something changes."""
    if not pr.consecutive_failures:
        return None
    n = pr.consecutive_failures
    return Part("failing", 0.5 + 1.0 * min(n, 4), f"the last {n} sync(s) failed in a row", 0.0)


def _quota(pr: Profile) -> Part:
    """Source quota: retries per sync well over their own baseline and climbing; non-flush reschedules."""
    ratio = (pr.retries_recent + 0.3) / (pr.retries_before + 0.3)
    extra = pr.reschedules_recent - pr.reschedules_before_per_day
    z = -4.4 + 1.4 * max(0.0, math.log2(ratio)) + 1.0 * min(max(extra, 0.0), 4) + 0.7 * pr.retries_rising
    z += 2.0 * max(pr.retry_persistence, 0.0)  # retries in most syncs for hours, not a burst that fades
    z += 0.6 * min(pr.reschedules_without_success, 4)
    parts = []
    if ratio >= 2:
        parts.append(f"{pr.retries_recent:.1f} API retries per sync, {ratio:.1f}x its usual "
                     f"{pr.retries_before:.1f}{' and rising' if pr.retries_rising else ''}")
    elif pr.retries_recent >= 0.5:  # many retries per sync, even at their usual rate, leave little headroom
        parts.append(f"{pr.retries_recent:.1f} API retries per sync (usually {pr.retries_before:.1f})")
    if pr.retry_share_24h - pr.retry_share_before >= 0.3:
        parts.append(f"retries in {pr.retry_share_24h:.0%} of the last day's syncs (usually "
                     f"{pr.retry_share_before:.0%})")
    if pr.reschedules_recent:
        parts.append(f"{pr.reschedules_recent} syncs rescheduled in 24 h for source quota "
                     f"(usually {pr.reschedules_before_per_day:.1f}/day)")
    lead = 3.0 if pr.reschedules_recent else LEAD_HOURS["quota"]
    return Part("quota", z, "source quota running out: " + "; ".join(parts or ["retries up"]), lead,
                {"level": math.log1p(pr.retries_recent)})  # how many retries, not only how many more


def _trend(kind: str, label: str, level: float | None, slope: float | None, days: float,
           extra: str = "") -> Part | None:
    """A time growing day over day, seasonally adjusted: sustained growth, not a spike that fades."""
    if slope is None or level is None or days < 3:
        return None
    z = -4.0 + 4.0 * max(slope, 0.0) + 3.0 * max(level, 0.0) + 6.0 * max(min(slope, level), 0.0)
    reason = (f"{label} up {math.expm1(slope):.0%} a day over {min(days, 6):.0f} days (against the same hours on "
              f"earlier days); the last 24 h run {math.exp(level):.1f}x the usual{extra}")
    return Part(kind, z, reason, LEAD_HOURS[kind])


def _growth(pr: Profile) -> Part | None:
    extra = ""
    if pr.volume_slope is not None and pr.volume_level is not None and pr.volume_slope > 0.05:
        extra = f", rows per sync up {math.expm1(pr.volume_slope):.0%} a day ({math.exp(pr.volume_level):.1f}x)"
    if pr.volume_long > 0.3:
        extra += f"; rows per sync {math.exp(pr.volume_long):.1f}x a week ago at these hours"
    part = _trend("growth", "sync durations", pr.duration_level, pr.duration_slope, pr.days_of_history, extra)
    if part is not None:
        part.forms["level"] = max(pr.duration_level or 0.0, 0.0)  # the last day's excess, even before a trend
    return part


def _slowdown(pr: Profile) -> Part | None:
    """Syncs taking longer per row than at the same hours before (replication lag, a slow source): a level
    shift that has lasted the day, even before it is a multi-day trend."""
    level, slope = pr.per_row_level, pr.per_row_slope
    if level is None:
        return None
    z = -5.0 + 3.5 * max(level, 0.0) + 3.0 * max(slope or 0.0, 0.0)
    lag = ""
    if pr.lag_mb > 0:
        rising = f", up {pr.lag_mb_per_hour:,.0f} MB an hour" if pr.lag_mb_per_hour >= 1 else ""
        lag = f"; warnings state a lag of {pr.lag_mb:,.0f} MB{rising} for {pr.lag_hours:.0f} h"
    return Part("slowdown", z, f"syncs take {math.exp(level):.1f}x their usual time per row at these hours over the "
                f"last 24 h (source or replication slowing){lag}", LEAD_HOURS["slowdown"], {"level": max(level, 0.0)})


def _warnings(pr: Profile) -> Part | None:
    """Any warning kind logged well above its own rate (harmless kinds and credential notices aside)."""
    best: Part | None = None
    for w in pr.warnings:
        if w.kind in HARMLESS_KINDS or w.recent == 0 or w.kind == pr.credential_warning:
            continue
        ratio = (w.recent + 0.5) / (w.per_day_before + 0.5)
        z = -5.5 + 1.2 * math.log2(ratio) + 0.3 * min(w.recent, 8) + 2.0 * w.persistence
        if best is None or z > best.z:
            best = Part("warnings", z, f"warning `{w.kind}` logged {w.recent} times in 24 h, in {w.persistence:.0%} "
                        f"of its syncs (usually {w.per_day_before:.1f}/day)", LEAD_HOURS["warnings"])
    return best


def _credential(pr: Profile, now: datetime) -> Part | None:
    if not pr.credential_warning:
        return None
    lead = LEAD_HOURS["credential"]
    when = ""
    if pr.credential_deadline:
        lead = max((pr.credential_deadline - now).total_seconds() / 3600, 0.0)
        when = f" on {pr.credential_deadline.date().isoformat()}"
    # the risk is for the next 24 h; the notice goes anyway. A stated day with no time is read as its middle
    # (deadline_in), so the expiry falls in the next 24 h for sure 12 h before that, and with even odds at 24 h.
    p = min(max((36 - lead) / 24, 0.03), 0.95) if pr.credential_deadline else 0.9
    return Part("credential", _logit(p), f"Fivetran warns `{pr.credential_warning}`: the credential expires{when}; "
                "a re-authorisation prevents the failure", lead)


def _clustering(pr: Profile) -> Part | None:
    """Failures cluster: a connection that failed recently, more than once, is likelier to fail again."""
    if not pr.failure_runs_7d:
        return None
    z = -3.8 + 0.5 * min(pr.failure_runs_7d, 5) + 1.0 * min(pr.failure_runs_48h, 3)
    lately = (f"; {pr.failures[48]} of its {pr.finished[48]} syncs in 48 h failed" if pr.failures.get(48)
              else f"; {pr.failures.get(168, 0)} of its {pr.finished.get(168, 0)} syncs in 7 days failed")
    return Part("clustering", z, f"{pr.failure_runs_7d} separate failure(s) in 7 days"
                + (f", the last {pr.hours_since_failure:.0f} h ago" if pr.hours_since_failure is not None else "")
                + lately, LEAD_HOURS["clustering"])


def _background(pr: Profile) -> Part:
    """Some failures have no precursor at all; their chance in 24 h grows with the number of syncs in 24 h."""
    syncs_per_day = 24 / max(pr.interval_hours or 24.0, 0.25)
    p = 1 - (1 - BACKGROUND_PER_SYNC) ** syncs_per_day
    return Part("background", _logit(p), f"{syncs_per_day:.0f} syncs a day, each with a small chance of an "
                "unforeseeable failure", LEAD_HOURS["background"])


def parts_of(pr: Profile, now: datetime) -> list[Part]:
    """Every mechanism's evidence as of now, strongest first (stale only when the connection is stalled)."""
    parts = [_stale(pr), _failing(pr), _quota(pr), _growth(pr), _slowdown(pr),
             _trend("destination", "warehouse write time per row", pr.write_level, pr.write_slope,
                    pr.days_of_history),
             _warnings(pr), _credential(pr, now), _clustering(pr), _background(pr)]
    return sorted((p for p in parts if p), key=lambda p: -p.z)


def features(parts: list[Part]) -> dict[str, float]:
    """What the fitted combination reads, keyed `<kind>` or `<kind>:<form>`: each part's evidence, piecewise
    linear in its log-odds (`:weak`, from WEAK to FLOOR; the kind itself above FLOOR), so strong evidence is not
    diluted by the common weak kind; (`:busy`) recurring-failure evidence scaled by syncs a day, since a
    connection that syncs hourly has 24 chances a day to fail again; and each part's own `forms` (e.g.
    `quota:level`, the retries per sync, scaled by syncs a day like `:busy`)."""
    out: dict[str, float] = {}
    background = next((p for p in parts if p.kind == "background"), None)
    per_day = (math.log(1 - background.p) / math.log(1 - BACKGROUND_PER_SYNC)) if background else 1.0
    for p in parts:
        if p.kind == "background":
            out[p.kind] = p.z
        elif p.kind not in OVERRIDES:
            out[p.kind] = max(p.z - FLOOR, 0.0)
            out[p.kind + ":weak"] = min(max(p.z - WEAK, 0.0), FLOOR - WEAK)
            busy = math.log2(1 + per_day) / 5 if p.kind in BUSY_KINDS else 1.0
            if p.kind in BUSY_KINDS:
                out[p.kind + ":busy"] = out[p.kind] * busy
            for form, value in p.forms.items():
                out[f"{p.kind}:{form}"] = value * busy
    return out


def load_coefficients(path: Path = COEFFICIENTS) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _floored(risk: float, shares: list[tuple[Part, float]]) -> tuple[float, list[tuple[Part, float]]]:
    """A stalled or failing connection, or a stated expiry, is never scored below that evidence."""
    for part in [p for p, _ in shares if p.kind in FLOORS]:
        if part.p > risk:
            risk = part.p
            shares = [(p, float("inf") if p is part else share) for p, share in shares if p is not part] + [
                (part, float("inf"))]
    return risk, sorted(shares, key=lambda x: -x[1])


def combine(parts: list[Part], coefficients: dict[str, Any] | None) -> tuple[float, list[tuple[Part, float]]]:
    """(risk, parts with their share, largest first). Fitted logistic if coefficients are given, else noisy-OR."""
    if coefficients is None:
        keep = 1.0
        for part in parts:
            keep *= 1 - part.p
        return 1 - keep, sorted(((p, p.p) for p in parts), key=lambda x: -x[1])
    weights = coefficients["weights"]
    values = features(parts)
    shares = [(p, sum(weights.get(k, 0.0) * v for k, v in values.items() if k.split(":")[0] == p.kind))
              for p in parts]
    return _floored(_sigmoid(coefficients["intercept"] + sum(share for _, share in shares)), shares)


def combine_trees(parts: list[Part], inputs: dict[str, float],
                  model: TreeModel) -> tuple[float, float, list[tuple[Part, float]]]:
    """(risk, bias, parts with their share in log-odds): each part's share is the sum of its mechanism's
    contributions along the trees' paths; a mechanism without a part has nothing to explain it and is left out."""
    total, bias, contributions = model.explain(inputs)
    by_kind: dict[str, float] = {}
    for name, value in contributions.items():
        by_kind[kind_of(name)] = by_kind.get(kind_of(name), 0.0) + value
    risk, shares = _floored(_sigmoid(total), [(p, by_kind.get(p.kind, 0.0)) for p in parts])
    return risk, bias, shares


_shipped: dict[str, TreeModel] = {}


def shipped_model() -> TreeModel:
    """model.json, read once; ModelError if it is missing, malformed or reads inputs this code does not compute."""
    if "model" not in _shipped:
        model = load_model(MODEL)
        unknown = set(model.features) - set(model_inputs(Profile(), datetime(2026, 1, 1)))
        if unknown:
            raise ModelError(f"{MODEL}: reads inputs this code does not compute: {', '.join(sorted(unknown))}")
        _shipped["model"] = model
    return _shipped["model"]


_COEFFICIENTS = load_coefficients()


def _signals(pr: Profile) -> dict[str, float | int | str | None]:
    def r(x: float | None, n: int = 3) -> float | None:
        return round(x, n) if x is not None else None

    return {
        "syncs_seen": pr.syncs_seen, "interval_hours": r(pr.interval_hours, 2),
        "hours_since_success": r(pr.hours_since_success, 2), "consecutive_failures": pr.consecutive_failures,
        "reschedules_without_success": pr.reschedules_without_success, "failure_runs_7d": pr.failure_runs_7d,
        "failure_runs_48h": pr.failure_runs_48h,
        "reschedules_24h": pr.reschedules_recent, "retries_per_sync": r(pr.retries_recent),
        "retries_per_sync_baseline": r(pr.retries_before), "duration_level": r(pr.duration_level),
        "duration_slope_per_day": r(pr.duration_slope), "write_level": r(pr.write_level),
        "write_slope_per_day": r(pr.write_slope), "volume_level": r(pr.volume_level),
        "volume_slope_per_day": r(pr.volume_slope), "per_row_level": r(pr.per_row_level),
        "days_of_history": r(pr.days_of_history, 2),
        "credential_warning": pr.credential_warning,
    }


def trees_apply(pr: Profile) -> bool:
    """The trees were fitted on generated LOGs with a week of history and `records_modified` rows; a younger
    connection, or one whose durations are known but whose row counts are not, is outside what they learned
    (they would read "durations up, rows flat" as no growth), so the logistic, which reads durations alone,
    scores it."""
    return pr.days_of_history >= TREE_MIN_DAYS and (pr.duration_level is None or pr.volume_level is not None)


def assess_profile(connection_id: str, pr: Profile, now: datetime,
                   combination: TreeModel | dict[str, Any] | str | None = "shipped") -> RiskAssessment:
    """Risk for one connection from its profile. `combination`: "shipped" (the tree model in model.json), a
    TreeModel, logistic coefficients (a dict, or "logistic" for coefficients.json), or None (hand-made
    noisy-OR); the backtest compares them."""
    parts = parts_of(pr, now)
    if combination == "shipped":
        combination = shipped_model() if trees_apply(pr) else "logistic"
    if isinstance(combination, TreeModel):
        risk, bias, shares = combine_trees(parts, model_inputs(pr, now), combination)
        shown = [p for p, share in shares if share >= SHOWN_SHARE]
        reasons = [f"{p.reason} (p={_sigmoid(bias + share):.2f} on this evidence)" for p, share in shares
                   if p in shown]
    else:
        coefficients = _COEFFICIENTS if combination == "logistic" else combination
        risk, shares = combine(parts, coefficients)  # type: ignore[arg-type]
        # a reason is shown when its evidence is strong alone or carries a real share of the fitted risk
        shown = [p for p, share in shares if share > 0 and (p.p >= 0.1 or share >= 1.0)]
        reasons = [f"{p.reason} (p={p.p:.2f})" for p in shown]
    reasons = [r for p, r in zip(shown, reasons, strict=True) if p.kind != "background"] or [NO_SIGNS]
    shown = [p for p in shown if p.kind != "background"]
    risk = round(risk, 3)
    level = level_of(risk)
    leading = shown[0] if shown and level != "low" else None
    signals = _signals(pr) | {"combination": "trees" if isinstance(combination, TreeModel) else
                              "logistic" if combination is not None else "noisy-or"}
    return RiskAssessment(
        connection_id=connection_id, risk=risk, level=level, reasons=reasons, signals=signals,
        kind=leading.kind if leading else None,
        lead_time_hours=round(leading.lead_hours, 1) if leading and leading.lead_hours is not None else None,
    )


def assess_syncs(connection_id: str, records: list[SyncRecord], *, now: datetime | None = None,
                 combination: TreeModel | dict[str, Any] | str | None = "shipped",
                 current_warnings: Iterable[tuple[str, str]] = ()) -> RiskAssessment:
    """Risk for one connection as of `now` (default: its last sync); `combination` as in assess_profile.
    `current_warnings`: (code, message) of the connection's `status.warnings` from the API, read like LOG
    warnings (an expiring credential above all)."""
    if now is None:
        now = max((r.at for r in records if r.at), default=None) or datetime.now().astimezone()
    pr = profile(records, now)
    for code, message in current_warnings:
        if pr.credential_warning is None and is_credential_kind(code):
            pr.credential_warning, pr.credential_deadline = code, deadline_in([message])
    return assess_profile(connection_id, pr, now, combination)


def assess_connections(syncs: Mapping[str, list[SyncRecord]], *, now: datetime | None = None) -> list[RiskAssessment]:
    """One assessment per connection, riskiest first."""
    results = [assess_syncs(cid, records, now=now) for cid, records in syncs.items()]
    return sorted(results, key=lambda a: (-a.risk, a.connection_id))
