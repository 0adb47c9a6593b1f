"""Deliverable specs: the model and its YAML loader."""
from pipeline.specs.load import load_kinds, load_spec, load_specs
from pipeline.specs.model import ColumnSpec, DeliverableSpec, Kind, SectionSpec, SowSpec

__all__ = ["ColumnSpec", "DeliverableSpec", "Kind", "SectionSpec", "SowSpec",
           "load_kinds", "load_spec", "load_specs"]
