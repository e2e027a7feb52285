"""Exports of a model instance for other tools (Promela for SPIN)."""
