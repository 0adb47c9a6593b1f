"""`sowpack new`: start an engagement folder to fill in."""
from __future__ import annotations

from pathlib import Path

import click

from pipeline.core.paths import DEFAULT_SPECS

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.argument("engagement_dir", type=click.Path(path_type=Path))
@click.option("--customer", required=True, help="The customer's full name (客户全称).")
@click.option("--short", "short", required=True, help="The customer's short name used in titles (客户简称).")
@click.option("--service", "services", multiple=True, required=True, metavar="N:PACKAGE",
              help="A service bought and its package, e.g. 12:通用版 (repeat for each).")
@click.option("--start", type=_DATE, default=None, help="Service start date (YYYY-MM-DD).")
@click.option("--end", type=_DATE, default=None, help="Service end date (YYYY-MM-DD).")
@click.option("--vendor-pm", default=None, metavar="NAME",
              help="The vendor's project manager (default: a 待定 entry to rename in engagement.yaml).")
@click.option("--customer-pm", default=None, metavar="NAME",
              help="The customer's project manager (default: a 待定 entry to rename in engagement.yaml).")
@click.option("--specs", "spec_dir", default=DEFAULT_SPECS,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of deliverable specs.", show_default="deliverable_specs/")
def new(engagement_dir, customer, short, services, start, end, vendor_pm, customer_pm, spec_dir):
    """Write a new ENGAGEMENT_DIR: engagement.yaml, answers/NN-slug.yaml per service
    (every section in the spec's nesting, the SOW's words as comments) and
    registers/NN-slug.xlsx (a sheet per register, drop-downs, typed columns).
    engagement.yaml names the two project managers (--vendor-pm, --customer-pm) as
    the people of every service and its managers; add the rest of each team there.

    Until the answers are filled, `sowpack build` lists everything still empty and
    writes nothing. Refuses a folder that already holds files.
    """
    from pipeline.scaffold.new import new_engagement, parse_service
    from pipeline.specs.load import require_specs

    loaded, _ = require_specs(spec_dir)
    written = new_engagement(engagement_dir, customer, short, [parse_service(s) for s in services],
                             {s.service: s for s in loaded}, start.date() if start else None,
                             end.date() if end else None, vendor_pm=vendor_pm, customer_pm=customer_pm)
    for word, path in written:
        click.echo(f"{word:>10}  {path}")
    click.echo(f"next: fill the answers (or send `sowpack questionnaire {engagement_dir} --out 问卷.xlsx` to the "
         f"customer), then `sowpack build {engagement_dir}`")
