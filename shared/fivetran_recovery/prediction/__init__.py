"""Failure prediction: risk per connection from its sync history and trends, and schedule advice."""

from fivetran_recovery.prediction.log_rows import LogRow, LogRowError, read_log_rows
from fivetran_recovery.prediction.risk import RiskAssessment, assess_connections, assess_syncs
from fivetran_recovery.prediction.syncs import SyncRecord, syncs_from_log

__all__ = ["LogRow", "LogRowError", "RiskAssessment", "SyncRecord", "assess_connections", "assess_syncs",
           "read_log_rows", "syncs_from_log"]
