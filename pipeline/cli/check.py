"""`sowpack check`: is a written pack complete?"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.core.paths import DEFAULT_SPECS

@click.command()
@click.argument("pack_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="Report format; json and junit are for CI.")
@click.option("--specs", "spec_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Judge against the specs in this folder.  [default: deliverable_specs/ when present]")
@click.option("--no-specs", is_flag=True, help="Judge against the structure recorded in the pack's manifest only.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def check(pack_dir, fmt, spec_dir, no_specs, strict):
    """Check that the pack in PACK_DIR is complete, as its files are on disk.

    Judges every file (hand-edited ones too) against the specs of the services and
    packages the pack's manifest names, and re-runs the SOWs' business rules from
    the facts the build recorded. Exit 0 when complete, 1 when not, 2 on usage or
    input errors.
    """
    from pipeline.checks.run import overview_state, run_check
    from pipeline.overview.record import record

    if spec_dir is None and not no_specs and DEFAULT_SPECS.is_dir():
        spec_dir = DEFAULT_SPECS
    sys.exit(run_check(pack_dir, fmt, None if no_specs else spec_dir, strict=strict,
                       on_report=lambda report: record(pack_dir, check=overview_state(report))))
