"""Pydantic models for every boundary: webhooks, diagnoses, incidents, audit records."""
