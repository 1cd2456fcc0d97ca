"""Parchemin and PV rendering against bare WeasyPrint floors measured in the same run."""

import multiprocessing
import time

from bench.core import Line, runs, timed

FLOOR_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><style>
@page {{ size: A4 landscape; margin: 18mm; }} body {{ font-family: "Biolinum"; font-size: 12pt; }}
h1 {{ font-size: 28pt; text-align: center; }} p {{ text-align: center; }}
</style></head><body><h1>{name}</h1><p>{intitule}</p><p>Niveau 5 — RNCP36390 — n° CCI-FRANCE-2026-000001</p>
<p>Délivré le 22/11/2026</p></body></html>"""


def _floor_renderer():
    """Bare WeasyPrint with its best settings: one FontConfiguration and the parsed font CSS reused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from documents.rendering import get_renderer

    asset_dir = get_renderer().asset_dir
    fonts = FontConfiguration()
    css = CSS(filename=str(asset_dir / "css" / "fonts.css"), font_config=fonts)

    def render(html: str) -> bytes:
        return HTML(string=html, base_url=str(asset_dir) + "/").write_pdf(stylesheets=[css], font_config=fonts)

    return render


def _platform_parchemin():
    from documents.rendering import render_pdf
    from documents.samples import sample_parchemin_html

    html = sample_parchemin_html()
    return lambda: render_pdf(html, stylesheet="parchemin")


def _render_many(n: int) -> float:
    render = _platform_parchemin()
    render()
    start = time.perf_counter()
    for _ in range(n):
        render()
    return time.perf_counter() - start


def bench_parchemin() -> list[Line]:
    floor = _floor_renderer()
    html = FLOOR_PAGE.format(name="Camille Martin", intitule="Assistant(e) de gestion et d'administration d'entreprise")
    floor_samples = timed(lambda: floor(html), runs(20))
    platform = _platform_parchemin()
    samples = timed(platform, runs(20))
    line = Line("parchemin render (platform renderer)", "ms", samples, floor_samples, target="≤ 1.3 × floor")
    line.passed = line.ratio <= 1.3
    # Throughput: 1 process vs 2 processes rendering the same number of documents.
    n = runs(24)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        one = pool.map(_render_many, [n])[0]
    with ctx.Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_render_many, [n // 2, n - n // 2])
        two = time.perf_counter() - start
    speedup = one / two
    tput = Line("parchemins/s, 2 processes vs 1", "x", [speedup], target="≥ 1.8 ×", note=f"1 proc {n / one:.1f}/s, 2 procs {n / two:.1f}/s")
    tput.passed = speedup >= 1.8
    return [line, tput]


def bench_pv() -> list[Line]:
    rows = "".join(
        f"<tr><td>{i}</td><td>Candidat {i} Nom-de-famille</td><td>Certifié</td><td>Blocs 1, 2, 3, 4</td><td>—</td></tr>" for i in range(500)
    )
    floor_html = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><style>@page{size:A4;margin:15mm} body{font-family:'DejaVu Sans';font-size:9pt}"
        "table{width:100%;border-collapse:collapse} td{border:1px solid #999;padding:2px}</style></head><body><h1>PV</h1>"
        f"<table>{rows}</table></body></html>"
    )
    floor = _floor_renderer()
    floor_samples = timed(lambda: floor(floor_html), runs(3))
    try:
        from documents.pv_bench import render_pv_500  # provided by the documents/juries layer when present
    except ImportError:
        return [Line("PV 500 candidates (floor only)", "ms", floor_samples, note="platform PV template not available yet")]
    samples = timed(render_pv_500, runs(3))
    line = Line("PV 500 candidates", "ms", samples, floor_samples, target="≤ 1.5 × floor")
    line.passed = line.ratio <= 1.5
    return [line]
