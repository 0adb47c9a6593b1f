"""Command line: `sowpack build`, `sowpack specs`, `sowpack check`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline import __version__
from pipeline.build import DEFAULT_SPECS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sowpack")
def main() -> None:
    """sowpack: turn SOW specs and survey inputs into complete deliverable packs.

    \b
    Typical use:
      sowpack build sample_inputs/hengxin-retail      # write output/hengxin-retail/
      sowpack check output/hengxin-retail              # is the pack complete?
      sowpack specs                                    # what each SOW promises
    """


@main.command()
@click.argument("engagement_dirs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(path_type=Path),
              help="Folder that receives one pack folder per engagement.")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs (NN-slug.yaml and _kinds.yaml).", show_default="deliverable_specs/")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("-v", "--verbose", is_flag=True, help="Also list files whose bytes did not change.")
def build(engagement_dirs, out_dir, spec_dir, strict, verbose):
    """Build the deliverable pack of each ENGAGEMENT_DIR.

    Each pack goes to OUT/<engagement>/<NN-service>/<deliverable>.<format>, with
    manifest.json beside it. Nothing is written unless every input is complete.
    """
    from pipeline.build import build as run
    from pipeline.reporting import ConsoleReporter

    reporter = ConsoleReporter(verbose)
    packs = run(list(engagement_dirs), out_dir, reporter, spec_dir=spec_dir, strict=strict)
    files = sum(len(p.outputs) for p in packs)
    reporter.info(f"built {len(packs)} pack(s), {files} file(s) in {out_dir}; {reporter.summary()}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable catalogue.")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs.", show_default="deliverable_specs/")
def specs(as_json, spec_dir):
    """List every SOW spec with its deliverables, formats and packages."""
    from pipeline.catalogue import catalogue, catalogue_table
    from pipeline.specs.load import require_specs

    loaded, findings = require_specs(spec_dir)
    for f in findings:
        click.echo(str(f), err=True)
    if as_json:
        click.echo(json.dumps(catalogue(loaded), ensure_ascii=False, indent=2))
    else:
        click.echo(catalogue_table(loaded))


@main.command()
@click.argument("pack_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="Report format; json and junit are for CI.")
@click.option("--specs", "spec_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Judge against these specs instead of the structure recorded in the pack's manifest.")
def check(pack_dir, fmt, spec_dir):
    """Check that the pack in PACK_DIR is complete, as its files are on disk.

    Exit 0 when complete, 1 when not, 2 on usage or input errors.
    """
    from pipeline.checks.run import run_check

    sys.exit(run_check(pack_dir, fmt, spec_dir))
