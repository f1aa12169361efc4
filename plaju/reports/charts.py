"""Geometry of the server-drawn SVG charts; templates/reports/_charts.html draws it.

Only numbers and positions: no styles (the page's CSP allows no inline style), colours come from
classes in reports.css. The view box is 360 wide, so the text stays readable on a 360 px phone.
"""
WIDTH = 360
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 14, 30

BULAN_SINGKAT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def month_label(month: str) -> str:
    """'2026-03' -> 'Mar 2026' ("Mar 26" read as the 26th of March)."""
    return f"{BULAN_SINGKAT[int(month[5:7]) - 1]} {month[:4]}"


def axis_labels(months: list[str]) -> list[str]:
    """A chart's month axis on a phone: the month alone, with its year at the first label written and at
    each January, so the labels fit the width: 'Feb 2026', 'Apr', ..., 'Des'."""
    first = next((i for i in range(len(months)) if _labelled(i, len(months))), 0)
    return [month_label(m) if m.endswith("-01") or i == first else BULAN_SINGKAT[int(m[5:7]) - 1]
            for i, m in enumerate(months)]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value and magnitude > 1:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: float, plot_h: float) -> list[dict]:
    ticks = []
    for i in range(5):
        value = top * i / 4
        text = f"{value:.0f}" if top >= 8 or value == int(value) else f"{value:.1f}".replace(".", ",")
        ticks.append({"y": round(TOP + plot_h - plot_h * i / 4, 1), "text": text})
    return ticks


def _labelled(i: int, count: int) -> bool:
    """Whether the i-th of `count` slots writes its label: every one up to six, else every other one
    counted back from the last (the newest month always named, and no two names side by side)."""
    return count <= 6 or (count - 1 - i) % 2 == 0


def bar_chart(labels: list[str], values: list, top: float | None = None) -> dict:
    """Vertical bars; a value of None draws no bar (no data), which is not the same as 0."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for v in values if v is not None]
    top = top or _nice_max(max(known) if known else 0)
    slot = plot_w / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = 0 if value is None else plot_h * min(value, top) / top
        bars.append({"x": round(LEFT + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(TOP + plot_h - height, 1), "h": round(height, 1), "value": value,
                     "label": label, "show_label": _labelled(i, len(labels)),
                     "cx": round(LEFT + i * slot + slot / 2, 1)})
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "ticks": _ticks(top, plot_h), "left": LEFT,
            "right": WIDTH - RIGHT, "base": TOP + plot_h, "label_y": HEIGHT - BOTTOM + 14}


def line_chart(labels: list[str], series: list[tuple[str, list]], top: float | None = None) -> dict:
    """Lines over the same labels; a None value breaks the line there. series: (css class, values)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for _name, values in series for v in values if v is not None]
    top = top or _nice_max(max(known) if known else 0)
    slot = plot_w / max(len(labels), 1)
    lines = []
    for name, values in series:
        points, segments = [], []
        for i, value in enumerate(values):
            if value is None:
                if points:
                    segments.append(points)
                points = []
                continue
            x = LEFT + i * slot + slot / 2
            y = TOP + plot_h - plot_h * min(value, top) / top
            points.append((round(x, 1), round(y, 1)))
        if points:
            segments.append(points)
        lines.append({"name": name, "segments": [" ".join(f"{x},{y}" for x, y in seg) for seg in segments],
                      "dots": [p for seg in segments for p in seg]})
    axis = [{"label": label, "cx": round(LEFT + i * slot + slot / 2, 1),
             "show_label": _labelled(i, len(labels))} for i, label in enumerate(labels)]
    return {"width": WIDTH, "height": HEIGHT, "lines": lines, "axis": axis, "ticks": _ticks(top, plot_h),
            "left": LEFT, "right": WIDTH - RIGHT, "base": TOP + plot_h, "label_y": HEIGHT - BOTTOM + 14}


def hbar_chart(labels: list[str], values: list, top: float = 100) -> dict:
    """Horizontal bars (shares in percent by unit): one row per label, the label above its bar."""
    row = 30
    height = TOP + row * len(labels) + 6
    plot_w = WIDTH - 16 - 58  # room after a full bar for "100,0 %"
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * row
        w = 0 if value is None else plot_w * min(value, top) / top
        bars.append({"label": label, "value": value, "y": y + 12, "label_y": y + 8, "w": round(w, 1),
                     "value_x": round(16 + w + 4, 1), "text_y": y + 21})
    return {"width": WIDTH, "height": height, "bars": bars, "x": 16, "full": plot_w}
