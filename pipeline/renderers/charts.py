"""Chart images (PNG) for docx and pdf, drawn with matplotlib in the CJK font."""
from __future__ import annotations

import io
from functools import lru_cache

from pipeline.document.nodes import Chart
from pipeline.core.fonts import PDF_SANS


#: Risk levels keep their colours in every chart: red, amber, green.
LEVEL_COLORS = {"高风险": "#c0392b", "中风险": "#e69f00", "低风险": "#2e8b57"}


@lru_cache(maxsize=1)
def _setup():
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
    """The chart as a PNG; drawn once per process (a deliverable's docx and pdf show the same chart)."""
    plt = _setup()
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
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
