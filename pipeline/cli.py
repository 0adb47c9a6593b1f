"""Command line: `sowpack build`, `sowpack specs`, `sowpack check`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline import __version__
from pipeline.build import DEFAULT_SPECS
from pipeline.errors import PipelineError


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
@click.option("--templates", "templates", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder whose text/<name>.md.j2 templates override the project's templates/text/.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--explain", is_flag=True, help="Say for each deliverable why it is or is not rebuilt.")
@click.option("--force", is_flag=True, help="Rebuild everything and replace hand-edited files (each is kept as "
              "<name>.bak-N.<ext>). Signed-off files are never replaced.")
@click.option("--keep-edits", is_flag=True, help="Keep hand-edited files as they are and record them as current.")
@click.option("-v", "--verbose", is_flag=True, help="Also list files whose bytes did not change.")
def build(engagement_dirs, out_dir, spec_dir, templates, strict, explain, force, keep_edits, verbose):
    """Build the deliverable pack of each ENGAGEMENT_DIR.

    Each pack goes to OUT/<engagement>/<NN-service>/<deliverable>.<format>, with
    manifest.json beside it. Nothing is written unless every input is complete.
    Only deliverables whose spec, inputs, templates or tool changed are rebuilt.
    A file edited by hand since the last build is never overwritten: the new
    version goes beside it as <name>.new.<ext> and the build exits 1, unless
    --force or --keep-edits says how to resolve it.
    """
    from pipeline.build import build as run
    from pipeline.reporting import ConsoleReporter

    if force and keep_edits:
        raise click.UsageError("choose one of --force and --keep-edits")
    reporter = ConsoleReporter(verbose)
    packs = run(list(engagement_dirs), out_dir, reporter, spec_dir=spec_dir, strict=strict, force=force,
                keep_edits=keep_edits, explain=explain, templates=templates)
    files = sum(len(p.outputs) for p in packs)
    rebuilt = sum(1 for p in packs for o in p.outputs if o.reasons)
    reporter.info(f"built {len(packs)} pack(s), {files} file(s) in {out_dir} ({rebuilt} rebuilt, "
                  f"{files - rebuilt} up to date); {reporter.summary()}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable catalogue.")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs.", show_default="deliverable_specs/")
def specs(as_json, spec_dir):
    """List every SOW spec with its deliverables, formats and packages."""
    from pipeline.catalogue import catalogue, catalogue_table
    from pipeline.specs.load import require_specs

    try:
        loaded, findings = require_specs(spec_dir)
    except PipelineError as exc:
        for f in exc.findings:
            click.echo(str(f), err=True)
        raise
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
    from pipeline.checks.run import run_check

    if spec_dir is None and not no_specs and DEFAULT_SPECS.is_dir():
        spec_dir = DEFAULT_SPECS
    sys.exit(run_check(pack_dir, fmt, None if no_specs else spec_dir, strict=strict))


from pipeline.cli_signoff import signoff  # noqa: E402  (sign-off ledger commands)

main.add_command(signoff)
