"""Where the project's own folders are: the package, templates/ and deliverable_specs/."""
from __future__ import annotations

from pathlib import Path

#: The `pipeline` package folder (its code is part of the tool version).
PIPELINE = Path(__file__).resolve().parent.parent
#: The project root (a source checkout or an editable install).
ROOT = PIPELINE.parent
#: Text templates, reference documents and the PDF stylesheet.
TEMPLATES = ROOT / "templates"
#: The specs `build`, `check` and `signoff` read unless told otherwise.
DEFAULT_SPECS = ROOT / "deliverable_specs"
#: The contract: the 29 SOWs the specs are written from (a copy of shared/seeds/).
SEED = ROOT / "seed" / "000_e82516de50cc8a61.txt"
