"""Geometry of the server-rendered SVG charts (the templates draw them; no JavaScript).

Every coordinate is an integer: the French locale would print a float as "16,4", which SVG reads
as a list of per-glyph positions.
"""

PALETTE = ["#0b63b6", "#1d6b35", "#8a4b00", "#6b21a8", "#9f1239", "#0f766e"]


def bars(
    rows: list[tuple[str, int]],
    *,
    width: int = 340,
    bar_height: int = 20,
    label_width: int = 150,
    labels_above: bool = False,
) -> dict:
    """Horizontal bars for counts: rows of (label, n). Labels sit left of their bar, or above it
    (``labels_above``) when they are long — « Formation continue (hors contrat de
    professionnalisation) » — so that they are never cut."""
    top = max((n for _label, n in rows), default=0) or 1
    left = 0 if labels_above else label_width
    span = width - left - 40
    step = bar_height + (22 if labels_above else 6)
    out = []
    for i, (label, n) in enumerate(rows):
        w = max(2, round(span * n / top)) if n else 0
        y = i * step + 2
        bar_y = y + 16 if labels_above else y
        out.append(
            {
                "label": label,
                "n": n,
                "x": left,
                "y": bar_y,
                "w": w,
                "h": bar_height,
                "label_x": 0 if labels_above else label_width - 6,
                "label_y": y + 11 if labels_above else round(y + bar_height * 0.7),
                "text_y": round(bar_y + bar_height * 0.7),
                "value_x": left + w + 6,
            }
        )
    return {
        "width": width,
        "height": len(rows) * step + 4,
        "bars": out,
        "anchor": "start" if labels_above else "end",
    }


def rate_groups(rows: list[dict], *, width: int = 560, bar_height: int = 14, label_width: int = 110) -> dict:
    """Success rate (0–100 %) per bloc, one bar per year: rows of {code, annee, taux, acquis, n}.

    Returns groups (one per bloc) of bars coloured by year, a legend and 25 % grid lines.
    """
    years = sorted({r["annee"] for r in rows if r["annee"] is not None})
    colour = {y: PALETTE[i % len(PALETTE)] for i, y in enumerate(years)}
    span = width - label_width - 100  # room for « 100,0 % (n/n) » after a full bar
    groups, y = [], 24
    order: list[str] = []
    for r in rows:
        if r["code"] not in order:
            order.append(r["code"])
    for code in order:
        bars: list[dict] = []
        group = {"label": code, "label_y": round(y + bar_height * 0.8), "bars": bars}
        for r in sorted((r for r in rows if r["code"] == code), key=lambda r: r["annee"] or 0):
            taux = r["taux"] or 0
            w = round(span * taux / 100)
            bars.append(
                {
                    "y": y,
                    "w": max(w, 1),
                    "h": bar_height,
                    "x": label_width,
                    "fill": colour.get(r["annee"], "#555"),
                    "annee": r["annee"],
                    "taux": r["taux"],
                    "acquis": r["acquis"],
                    "n": r["n"],
                    "text_y": round(y + bar_height * 0.8),
                    "value_x": label_width + max(w, 1) + 4,
                }
            )
            y += bar_height + 3
        groups.append(group)
        y += 8
    grid = [{"x": label_width + round(span * p / 100), "label": f"{p} %"} for p in (0, 25, 50, 75, 100)]
    legend = [{"annee": a, "fill": colour[a], "x": label_width + i * 70} for i, a in enumerate(years)]
    return {
        "width": width,
        "height": y + 4,
        "groups": groups,
        "grid": grid,
        "legend": legend,
        "label_width": label_width,
    }
