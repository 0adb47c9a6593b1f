"""Completeness checks over written packs."""
