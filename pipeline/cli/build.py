"""`sowpack build`: render the packs of engagement folders."""
from __future__ import annotations

from pathlib import Path

import click

from pipeline.core.paths import DEFAULT_SPECS

@click.command()
@click.argument("engagement_dirs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(path_type=Path),
              help="Folder that receives one pack folder per engagement.")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs (NN-slug.yaml and _kinds.yaml).", show_default="deliverable_specs/")
@click.option("--templates", "templates", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder whose text/<name>.md.j2 templates override the project's templates/text/.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--explain", is_flag=True, help="Say for each deliverable why it is or is not rebuilt.")
@click.option("--force", is_flag=True, help="Rebuild everything and replace hand-edited files (each is kept as "
              "<name>.bak-N.<ext>). Signed-off files are never replaced.")
@click.option("--keep-edits", is_flag=True, help="Keep hand-edited files as they are and record them as current.")
@click.option("--only", "only", multiple=True, metavar="SERVICE/DELIVERABLE",
              help="Render only this deliverable (repeatable), e.g. 09/health-report; the rest of the pack and "
              "its manifest records stay as they are.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Render in this many processes (the files are the same for any number).  [default: the number "
              "of cores]")
@click.option("--finish", is_flag=True, help="Lay Word files out in LibreOffice (when installed) to put page "
              "numbers in their tables of contents; without it the TOC lists the headings without numbers.")
@click.option("-v", "--verbose", is_flag=True, help="Also list files whose bytes did not change.")
def build(engagement_dirs, out_dir, spec_dir, templates, strict, explain, force, keep_edits, only, jobs, finish,
          verbose):
    """Build the deliverable pack of each ENGAGEMENT_DIR.

    Each pack goes to OUT/<engagement>/<NN-service>/<deliverable>.<format>, with
    manifest.json beside it. Nothing is written unless every input is complete.
    Only deliverables whose spec, inputs, templates or tool changed are rebuilt.
    A file edited by hand since the last build is never overwritten: the new
    version goes beside it as <name>.new.<ext> and the build exits 1, unless
    --force or --keep-edits says how to resolve it.
    """
    from pipeline.build.parallel import default_jobs
    from pipeline.build.run import build as run
    from pipeline.core.reporting import ConsoleReporter

    if force and keep_edits:
        raise click.UsageError("choose one of --force and --keep-edits")
    reporter = ConsoleReporter(verbose)
    packs = run(list(engagement_dirs), out_dir, reporter, spec_dir=spec_dir, strict=strict, force=force,
                keep_edits=keep_edits, explain=explain, templates=templates, jobs=jobs or default_jobs(), only=only,
                finish=finish)
    files = sum(len(p.outputs) for p in packs)
    rebuilt = sum(1 for p in packs for o in p.outputs if o.reasons)
    skipped = sum(1 for p in packs for o in p.outputs if o.skipped)
    reporter.info(f"built {len(packs)} pack(s), {files} file(s) in {out_dir} ({rebuilt} rebuilt, "
                  f"{files - rebuilt - skipped} up to date{f', {skipped} not selected' if skipped else ''}); "
                  f"{reporter.summary()}")
