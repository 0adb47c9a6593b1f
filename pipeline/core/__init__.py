"""Foundations every stage shares: errors and findings, source locations, text cleaning,
YAML with positions, collect-all validation, fonts, working days, the manifest file,
atomic writes, reporting, and the project's paths.

May import: (nothing in pipeline).
"""
