"""The diagnose use case: one webhook event in -> history, fast classification, triage, deep RCA for a new
incident, and the recovery workflow started (see service.py)."""
