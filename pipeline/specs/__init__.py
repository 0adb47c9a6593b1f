"""Deliverable specs: the frozen model, the YAML loader with located findings, the
catalogue printed by `sowpack specs`.

May import: core, rules.
"""

from pipeline.specs.load import load_kinds, load_spec, load_specs
from pipeline.specs.model import ColumnSpec, DeliverableSpec, Kind, SectionSpec, SowSpec

__all__ = ["ColumnSpec", "DeliverableSpec", "Kind", "SectionSpec", "SowSpec",
           "load_kinds", "load_spec", "load_specs"]
