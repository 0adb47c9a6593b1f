"""Chart and Gantt images (PNG) for docx and pdf, drawn with matplotlib in the CJK font."""
from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

from pipeline.document.nodes import Chart, Gantt, GanttBar
from pipeline.core.fonts import PDF_SANS
from pipeline.renderers.remembered import remembered


#: Risk levels keep their colours in every chart: red, amber, green.
LEVEL_COLORS = {"高风险": "#c0392b", "中风险": "#e69f00", "低风险": "#2e8b57"}


@lru_cache(maxsize=1)
def setup():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    names = {f.name for f in font_manager.fontManager.ttflist}
    family = [PDF_SANS] if PDF_SANS in names else ["DejaVu Sans"]
    matplotlib.rcParams.update({"font.family": family, "axes.unicode_minus": False,
                                "svg.hashsalt": "sowpack", "figure.dpi": 100})
    return pyplot


@lru_cache(maxsize=64)
def chart_png(chart: Chart) -> bytes:
    """The chart as a PNG; drawn once per machine (renderers/remembered.py), and held in this process
    (a deliverable's docx and pdf show the same chart)."""
    return remembered(chart, _draw_chart, __file__, ("matplotlib",))


def _draw_chart(chart: Chart) -> bytes:
    plt = setup()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    x = range(len(chart.categories))
    n = len(chart.series)
    for i, (name, values) in enumerate(chart.series):
        color = LEVEL_COLORS.get(name)
        if chart.type == "bar":
            w = 0.8 / n
            ax.bar([v + i * w - 0.4 + w / 2 for v in x], values, width=w, label=name, color=color)
        else:
            ax.plot(list(x), values, marker="o", label=name, color=color)
    if all(float(v).is_integer() for _, values in chart.series for v in values):
        # Counts (findings by level) take whole-number ticks.
        from matplotlib.ticker import MaxNLocator
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(list(x))
    ax.set_xticklabels(chart.categories, rotation=30 if len(chart.categories) > 8 else 0)
    ax.set_title(chart.title)
    if chart.unit:
        ax.set_ylabel(chart.unit)
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    return _png(plt, fig)


def _png(plt, fig) -> bytes:
    """The figure laid out tight and drawn once, as PNG bytes (the figure is closed).

    tight_layout() leaves a placeholder layout engine on the figure, for which savefig lays the
    whole figure out once more before drawing it; without it a chart takes a fifth less time,
    and the bytes are the same.
    """
    fig.tight_layout()
    fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


#: Bar colours per phase, cycled (a muted palette that prints well in grey too).
PHASE_COLOURS = ("#1F5C99", "#3E8E7E", "#C98A2B", "#7A5BA6", "#B5523B", "#4C7A2E", "#5B6F82")


def gantt_rows(gantt: Gantt) -> list[tuple[GanttBar, dt.date, dt.date, int]]:
    """(bar, start, end, phase index) in display order, the phase index numbering the groups."""
    groups: list[str] = []
    out = []
    for b in gantt.bars:
        if b.group not in groups:
            groups.append(b.group)
        out.append((b, dt.date.fromisoformat(b.start), dt.date.fromisoformat(b.end), groups.index(b.group)))
    return out


@lru_cache(maxsize=64)
def gantt_png(gantt: Gantt) -> bytes:
    """The schedule as a horizontal bar chart: one row per task, diamonds for milestones, weekly ticks
    (drawn once per machine, as chart_png)."""
    return remembered(gantt, _draw_gantt, __file__, ("matplotlib",))


def _draw_gantt(gantt: Gantt) -> bytes:
    import matplotlib.dates as mdates

    plt = setup()
    rows = gantt_rows(gantt)
    height = 1.3 + 0.28 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(7.5, height))
    for y, (bar, start, end, group) in enumerate(rows):
        colour = PHASE_COLOURS[group % len(PHASE_COLOURS)]
        if bar.milestone:
            ax.plot([mdates.date2num(end) + 0.5], [y], marker="D", markersize=7, color=colour)
        else:
            ax.barh(y, (end - start).days + 1, left=mdates.date2num(start), height=0.6, color=colour)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([("◆ " if b.milestone else "") + b.label for b, *_ in rows], fontsize=8)
    ax.invert_yaxis()
    first = min((s for _, s, _, _ in rows), default=dt.date(2000, 1, 3))  # never the clock
    last = max((e for _, _, e, _ in rows), default=first)
    span = (last - first).days + 1
    ax.set_xlim(mdates.date2num(first) - 0.5, mdates.date2num(last) + 1.5)
    interval = 1 if span <= 70 else 2 if span <= 140 else 4 if span <= 280 else 8
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=interval))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%d"))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(gantt.title, fontsize=11)
    return _png(plt, fig)
