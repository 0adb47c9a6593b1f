"""sowpack: SOW specs + survey inputs -> complete deliverable packs."""

__version__ = "0.1.0"
