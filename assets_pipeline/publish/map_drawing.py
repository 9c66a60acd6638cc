"""Drawing a choropleth of the counties (DOMAIN §6 maps): classes a reader can tell apart, a legend with their
ranges, the counties' names, a north arrow and a scale bar, a title in Chinese and English.

Chinese needs a CJK font, which matplotlib does not ship: one installed (Noto Sans CJK, Source Han Sans,
WenQuanYi, SimHei, Microsoft YaHei, PingFang …) is used when found; without one the map is drawn in English with
the counties' codes, never with the empty boxes a missing glyph prints as.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager, patheffects  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)
NO_DATA = "#d9d9d9"
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # a name stays legible on a dark county
DPI = 150


# file names of the fonts above, for fonts installed after matplotlib built its font cache
CJK_FILES = re.compile(r"(notosans|notoserif|sourcehansans)cjk|wqy|simhei|msyh|pingfang|ukai|uming", re.IGNORECASE)


def cjk_font() -> str | None:
    """The first installed font family able to print Chinese, or None. A font installed after matplotlib cached
    its list of fonts is found among the system's font files and added."""
    found = _first_cjk()
    if found is None:
        for path in font_manager.findSystemFonts():
            if CJK_FILES.search(Path(path).name):
                font_manager.fontManager.addfont(path)
        found = _first_cjk()
    return found


def _first_cjk() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@dataclass
class Choropleth:
    """One map: per county its shape (projected, metres), its figure (NaN = no data) and its label."""

    shapes: np.ndarray
    values: np.ndarray
    labels: list[str]
    title: str
    unit: str
    no_data: str
    colormap: str
    decimals: int


def class_breaks(values: np.ndarray, classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` classes: quantiles of the counties' figures rounded to two significant
    digits (a reader compares 12 and 25, not 12.3471 and 24.9), the last bound the largest figure. Counties at 0
    (no inconsistent parcel) are a class of their own, so a province of clean counties shows them apart."""
    finite = np.sort(values[np.isfinite(values)])
    if finite.size == 0:
        return []
    if finite[0] == 0 and finite[-1] > 0:
        return [0.0] + class_breaks(finite[finite > 0], classes - 1)
    classes = min(classes, len(np.unique(finite)))
    bounds = [float(_nice(q)) for q in np.quantile(finite, np.linspace(0, 1, classes + 1)[1:-1])]
    bounds = sorted({b for b in bounds if finite[0] <= b < finite[-1]})
    return bounds + [float(finite[-1])]


def _nice(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0
    digits = 1 - int(math.floor(math.log10(abs(x))))
    return round(x, digits)


def draw_choropleth(map_: Choropleth, path: Path, font: str | None) -> None:
    """Draw ``map_`` into the PNG ``path`` (the caller makes the write atomic)."""
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(10, 8), dpi=DPI)
        try:
            bounds = class_breaks(map_.values)
            colors = [to_hex(c) for c in plt.get_cmap(map_.colormap)(np.linspace(0.15, 0.9, max(len(bounds), 1)))]
            classes = np.searchsorted(np.asarray(bounds), map_.values, side="left") if bounds else np.array([])
            fills = [
                colors[min(c, len(colors) - 1)] if np.isfinite(v) else NO_DATA
                for c, v in zip(classes.tolist(), map_.values.tolist(), strict=False)
            ] or [NO_DATA] * len(map_.shapes)
            for shape, fill in zip(map_.shapes, fills, strict=True):  # one patch per county
                ax.add_patch(_patch(shape, fill))
            _labels(ax, map_)
            xmin, ymin, xmax, ymax = shapely.total_bounds(map_.shapes)
            pad = 0.08 * max(xmax - xmin, ymax - ymin, 1.0)
            ax.set_xlim(xmin - pad, xmax + pad)
            ax.set_ylim(ymin - pad, ymax + pad)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(map_.title, fontsize=11)
            no_data = [Patch(facecolor=NO_DATA, edgecolor="#555555", label=map_.no_data)]
            ax.legend(
                handles=_legend(bounds, colors, map_) + (no_data if (~np.isfinite(map_.values)).any() else []),
                title=map_.unit,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                fontsize=8,
                title_fontsize=8,
                framealpha=0.9,
            )
            _north_arrow(ax)
            _scale_bar(ax, xmax - xmin)
            fig.tight_layout()
            fig.savefig(path, format="png", dpi=DPI)
        finally:
            plt.close(fig)


def _patch(shape, fill: str) -> PathPatch:
    """A (multi)polygon with its holes as one matplotlib patch."""
    vertices, codes = [], []
    for polygon in shapely.get_parts(shape):
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = np.asarray(ring.coords)
            vertices.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO), MplPath.CLOSEPOLY])
    if not vertices:
        return PathPatch(MplPath(np.zeros((1, 2))), visible=False)
    path = MplPath(np.concatenate(vertices), np.concatenate(codes).astype(np.uint8))
    return PathPatch(path, facecolor=fill, edgecolor="#444444", linewidth=0.6)


def _labels(ax, map_: Choropleth) -> None:
    points = shapely.point_on_surface(map_.shapes)
    size = 7 if len(map_.labels) <= 40 else 5
    for x, y, label in zip(shapely.get_x(points), shapely.get_y(points), map_.labels, strict=True):
        if math.isfinite(x):
            ax.text(x, y, label, ha="center", va="center", fontsize=size, color="#111111", path_effects=HALO)


def _legend(bounds: list[float], colors: list[str], map_: Choropleth) -> list[Patch]:
    """A patch per class: ``lower – upper`` (the first class from the smallest figure; a class of zeros is "0")."""
    finite = map_.values[np.isfinite(map_.values)]
    lowers = [float(finite.min()) if finite.size else 0.0] + bounds[:-1]
    handles = []
    for lower, upper, color in zip(lowers, bounds, colors, strict=False):
        label = "0" if upper == 0 else f"{lower:,.{map_.decimals}f} – {upper:,.{map_.decimals}f}"
        handles.append(Patch(facecolor=color, edgecolor="#555555", label=label))
    return handles


def _north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.05, 0.96),
        xytext=(0.05, 0.87),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 9},
    )


def _scale_bar(ax, width_m: float) -> None:
    """A bar of 1, 2 or 5 × 10ⁿ metres, about a fifth of the map's width."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    target = max(width_m / 5, 1.0)
    power = 10 ** math.floor(math.log10(target))
    length = max(m * power for m in (1, 2, 5) if m * power <= target)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.add_artist(AnchoredSizeBar(ax.transData, length, label, "lower right", pad=0.6, frameon=False, size_vertical=0))
