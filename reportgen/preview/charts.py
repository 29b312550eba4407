"""Charts as inline SVG, drawn by matplotlib without a display (its SVG backend).

Text stays text (`svg.fonttype: none`), so run names in legends are searchable and the
browser's fonts draw them; ids are salted with a fixed value, so the same data gives the
same bytes. One figure per chart, closed as soon as it is written.
"""

from __future__ import annotations

import io

from reportgen.preview.curves import Chart
from reportgen.problems import one_line

# The W&B app's first run colours, so a chart looks like the runs' colours in W&B.
PALETTE = (
    "#5387dd", "#da4c4c", "#479a5f", "#7d54b2", "#e87b9f",
    "#e57439", "#5bc5db", "#a0c75c", "#c565c7", "#edb732",
)  # fmt: skip


def svg(chart: Chart, *, width: float = 5.6, height: float = 3.4) -> str:
    """One chart as an `<svg>` element (no XML prolog), ready to inline into HTML."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "reportgen", "font.size": 9}
    ):
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        for i, series in enumerate(chart.series):
            color = PALETTE[i % len(PALETTE)]
            # A run name is data: no control character drawn, no `$` read as mathtext.
            name = one_line(series.label).replace("$", r"\$")
            label = f"{series.rank}. {name}" if series.rank is not None else name
            axes.plot(series.xs, series.ys, color=color, linewidth=1.6, label=label)
            if series.lo is not None and series.hi is not None:
                axes.fill_between(
                    series.xs, series.lo, series.hi, color=color, alpha=0.18, linewidth=0
                )
        axes.set_title(chart.title, loc="left", fontsize=10)
        axes.set_xlabel(chart.x)
        axes.set_ylabel(chart.metric)
        axes.grid(True, color="#e6e6e6", linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        if chart.series:
            axes.legend(fontsize=8, frameon=False, loc="best")
        else:
            axes.text(
                0.5, 0.5, "no runs to draw", ha="center", va="center", transform=axes.transAxes
            )
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
