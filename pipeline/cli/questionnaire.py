"""`sowpack questionnaire`: export the customer questionnaire; `questionnaire import` reads it back."""
from __future__ import annotations

from pathlib import Path

import click

from pipeline.core.paths import DEFAULT_SPECS

_SPECS = click.option("--specs", "spec_dir", default=DEFAULT_SPECS,
                      type=click.Path(exists=True, file_okay=False, path_type=Path),
                      help="Folder of deliverable specs.", show_default="deliverable_specs/")


class _ExportByDefault(click.Group):
    """`questionnaire DIR ...` exports; `questionnaire import DIR Q.xlsx` imports.

    click cannot give a group both a positional argument and subcommands, so an unknown
    first word is taken as the export's ENGAGEMENT_DIR (an engagement folder named
    'import' is written `questionnaire export import`)."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["export", *args]
        return super().parse_args(ctx, args)


def _specs(spec_dir: Path) -> dict:
    from pipeline.specs.load import require_specs

    loaded, _ = require_specs(spec_dir)
    return {s.service: s for s in loaded}


@click.group(cls=_ExportByDefault)
def questionnaire() -> None:
    """The customer questionnaire (调研问卷) of an engagement.

    \b
      sowpack questionnaire ENGAGEMENT_DIR --out 问卷.xlsx [--format docx]
      sowpack questionnaire import ENGAGEMENT_DIR 问卷.xlsx [--force]
    """


@questionnaire.command("export")
@click.argument("engagement_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The questionnaire file to write.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx"]), default=None,
              help="xlsx to fill and import back, docx to read and print.  [default: from --out's suffix, else xlsx]")
@_SPECS
def export(engagement_dir, out, fmt, spec_dir):
    """Write ENGAGEMENT_DIR's questionnaire: an instructions sheet, a sheet of questions per
    service (answers in the 回答 column, pre-filled where answered) and a sheet per register."""
    from pipeline.questionnaire.run import export as run

    word, questions, registers = run(engagement_dir, out, fmt, _specs(spec_dir))
    click.echo(f"{word:>10}  {out} ({questions} question(s), {registers} register sheet(s))")


@questionnaire.command("import")
@click.argument("engagement_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("filled", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Take the questionnaire's answer where the answers file was changed by "
              "hand since the export.")
@_SPECS
def import_(engagement_dir, filled, force, spec_dir):
    """Write the answers of a filled questionnaire back into ENGAGEMENT_DIR.

    Formulas are never evaluated; each refused cell is reported as FILE[Sheet]!C12.
    Exit 1 when a cell was refused or a hand-written answer was kept.
    """
    from pipeline.questionnaire.importer import import_questionnaire

    result = import_questionnaire(engagement_dir, filled, _specs(spec_dir), force)
    for f in result.findings:
        click.echo(str(f), err=True)
    for word, path in result.written:
        click.echo(f"{word:>10}  {path}")
    click.echo(f"{filled}: {len(result.imported)} answer(s) imported, {result.unchanged} unchanged, "
               f"{len(result.conflicts)} kept (changed by hand), {len(result.refused)} refused")
    raise SystemExit(1 if result.refused or result.conflicts or any(f.is_error for f in result.findings) else 0)
