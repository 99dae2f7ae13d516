"""A reporting round's progress as a picture (the «📊 Biểu đồ» button under /tiendo).

Two panels: each unit's share of the reports it owes, least complete first (at most
`MAX_BARS` units: the least complete ones, and the title says so), and the number of reports
received over time against the deadline and the number expected.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
figure state), so it can run in a worker thread. Text is set in DejaVu Sans, the font
matplotlib itself ships (in its wheel, so `pip install` brings it), which has every
Vietnamese letter with its tone marks; `missing_glyphs` checks that.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cache
from typing import Any

FONT_FAMILY = "DejaVu Sans"
# Every letter Vietnamese writes with a mark, lower and upper case.
VIETNAMESE = (
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
)
MAX_BARS = 15  # units drawn; with more, the least complete (a phone shows ~1,300 px high)
LABEL_WIDTH = 38  # characters a line of a unit's name takes before it wraps
LABEL_LINES = 2  # a longer name ends in «…» (its full name is in the workbook)
WIDTH_INCHES = 9.0
DPI = 130
DONE_COLOUR, OWED_COLOUR, LATE_COLOUR = "#2e7d32", "#e0e0e0", "#c62828"


@dataclass(frozen=True)
class ChartUnit:
    name: str
    answered: int
    expected: int

    @property
    def share(self) -> float:
        return self.answered / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class ChartData:
    campaign_title: str
    round_name: str
    kind: str  # 'unit' or 'person'
    deadline: datetime
    start: datetime | None  # when the campaign was launched
    now: datetime
    units: Sequence[ChartUnit]  # in unit-tree order
    answered_at: Sequence[datetime]  # when each answered report was first sent
    timezone: tzinfo

    @property
    def expected(self) -> int:
        return sum(unit.expected for unit in self.units)

    @property
    def answered(self) -> int:
        return sum(unit.answered for unit in self.units)


def shown_units(units: Sequence[ChartUnit], limit: int = MAX_BARS) -> list[ChartUnit]:
    """The least complete units first (ties keep unit-tree order), at most `limit`."""
    return sorted(units, key=lambda unit: unit.share)[:limit]


@cache
def _matplotlib() -> Any:
    """matplotlib, imported on first use (it takes a while) with the chart's font chosen."""
    import matplotlib

    matplotlib.rcParams["font.family"] = [FONT_FAMILY]
    return matplotlib


@cache
def font_path() -> str:
    """The file matplotlib draws the chart's text with."""
    _matplotlib()
    from matplotlib import font_manager

    properties = font_manager.FontProperties(family=FONT_FAMILY)
    return str(font_manager.findfont(properties, fallback_to_default=False))


def missing_glyphs(text: str = VIETNAMESE) -> list[str]:
    """Letters of `text` the chart's font cannot draw (none, for Vietnamese)."""
    from matplotlib import ft2font

    charmap = ft2font.FT2Font(font_path()).get_charmap()
    return [
        char for char in dict.fromkeys(text) if not char.isspace() and ord(char) not in charmap
    ]


def _label(name: str) -> str:
    lines = textwrap.wrap(name, LABEL_WIDTH, break_long_words=True) or [""]
    if len(lines) > LABEL_LINES:
        last = " ".join(lines[LABEL_LINES - 1 :])
        lines = [*lines[: LABEL_LINES - 1], textwrap.shorten(last, LABEL_WIDTH, placeholder="…")]
    return "\n".join(lines)


def number(value: int) -> str:
    """As Vietnamese write it: 4.770."""
    return f"{value:,}".replace(",", ".")


def _local(moment: datetime, timezone: tzinfo) -> datetime:
    return moment.astimezone(timezone).replace(tzinfo=None)


def render_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes."""
    figure = draw_chart(data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw_chart(data: ChartData) -> Any:
    """The chart as a matplotlib Figure on an Agg canvas (not yet drawn)."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    units = shown_units(data.units)
    labels = [_label(unit.name) for unit in units]
    lines = sum(label.count("\n") + 1 for label in labels)
    bars_height = max(1.6, 0.19 * lines + 0.12 * len(units) + 0.8)
    figure = Figure(figsize=(WIDTH_INCHES, bars_height + 3.4), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=[bars_height, 3.0])
    title = f"{data.round_name} — {data.campaign_title}"
    figure.suptitle(textwrap.shorten(title, 90, placeholder="…"), fontsize=13, weight="bold")
    _draw_units(figure.add_subplot(grid[0]), data, units, labels)
    _draw_timeline(figure.add_subplot(grid[1]), data)
    return figure


def _draw_units(axes: Any, data: ChartData, units: list[ChartUnit], labels: list[str]) -> None:
    if not units:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "Chưa có đơn vị nào phải nộp", ha="center", va="center")
        return
    positions = range(len(units))
    shares = [100 * unit.share for unit in units]
    axes.barh(positions, [100] * len(units), color=OWED_COLOUR, height=0.7)
    axes.barh(positions, shares, color=DONE_COLOUR, height=0.7)
    for position, unit in zip(positions, units, strict=True):
        axes.text(
            101.5,
            position,
            f"{number(unit.answered)}/{number(unit.expected)}",
            va="center",
            fontsize=9,
        )
    axes.set_yticks(list(positions), labels, fontsize=9)
    axes.invert_yaxis()  # the least complete on top
    axes.set_xlim(0, 112)
    axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    heading = (
        "Đơn vị đã nộp báo cáo"
        if data.kind == "unit"
        else "Số người đã nộp / phải nộp trong từng đơn vị"
    )
    if len(data.units) > len(units):
        heading += (
            f"\n{len(units)} đơn vị hoàn thành thấp nhất trong {number(len(data.units))} đơn vị"
        )
    axes.set_title(heading, fontsize=11, loc="left")


def _draw_timeline(axes: Any, data: ChartData) -> None:
    from matplotlib import dates as mdates
    from matplotlib.ticker import MaxNLocator

    timezone = data.timezone
    times = [_local(moment, timezone) for moment in data.answered_at]
    deadline = _local(data.deadline, timezone)
    now = _local(data.now, timezone)
    first = _local(data.start, timezone) if data.start is not None else None
    begin = min([moment for moment in (first, *times[:1]) if moment is not None] or [now])
    end = max(deadline, now, *times[-1:])
    margin = max((end - begin) * 0.03, timedelta(hours=6))
    xs = [begin, *times, max(now, times[-1]) if times else now]
    ys = [0, *range(1, len(times) + 1), len(times)]
    axes.step(xs, ys, where="post", color=DONE_COLOUR, linewidth=2, label="Đã nộp")
    late = [index for index, moment in enumerate(times) if moment > deadline]
    if late:  # the part of the line after the deadline, in red
        first_late = late[0] + 1  # its position in xs / ys
        axes.step(xs[first_late:], ys[first_late:], where="post", color=LATE_COLOUR,
                  linewidth=2, label=f"Nộp muộn: {number(len(late))}")  # fmt: skip
    expected = data.expected
    axes.axhline(expected, color="#555555", linestyle="--", linewidth=1,
                 label=f"Phải nộp: {number(expected)}")  # fmt: skip
    axes.axvline(deadline, color=LATE_COLOUR, linestyle=":", linewidth=1.5,
                 label=f"Hạn nộp {deadline:%d/%m/%Y %H:%M}")  # fmt: skip
    axes.set_xlim(begin - margin, end + margin)
    axes.set_ylim(0, max(expected, len(times), 1) * 1.12)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(lambda value, _: number(int(value)))
    axes.set_ylabel("Số báo cáo")
    axes.set_title("Số báo cáo đã nhận theo thời gian", fontsize=11, loc="left")
    # Below the plot, where no line runs through it.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=9,
                frameon=False)  # fmt: skip
    axes.grid(axis="y", color="#eeeeee")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
