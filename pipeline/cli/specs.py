"""`sowpack specs`: the catalogue of what each SOW promises."""
from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.core.errors import PipelineError
from pipeline.core.paths import DEFAULT_SPECS


@click.command()
@click.argument("service", required=False, type=int)
@click.option("--package", default=None, help="Only the deliverables of this package (with those it includes).")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable catalogue.")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs.", show_default="deliverable_specs/")
def specs(service, package, as_json, spec_dir):
    """List the SOW specs (or SERVICE's): packages, rules, deliverables, formats,
    the section tree with what needs an answer, and register columns with their
    types and allowed values."""
    from pipeline.specs.catalogue import catalogue, catalogue_table, select
    from pipeline.specs.load import require_specs

    try:
        loaded, findings = require_specs(spec_dir)
    except PipelineError as exc:
        for f in exc.findings:
            click.echo(str(f), err=True)
        raise
    for f in findings:
        click.echo(str(f), err=True)
    shown = select(loaded, service, package)
    if as_json:
        click.echo(json.dumps(catalogue(shown), ensure_ascii=False, indent=2))
    else:
        click.echo(catalogue_table(shown))
