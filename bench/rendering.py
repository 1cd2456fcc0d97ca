"""Parchemin and PV rendering against bare WeasyPrint floors measured in the same run."""

import multiprocessing
import os
import time

from bench.core import Line, runs, timed

FLOOR_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><style>
@page {{ size: A4 landscape; margin: 18mm; }} body {{ font-family: "Biolinum"; font-size: 12pt; }}
h1 {{ font-size: 28pt; text-align: center; }} p {{ text-align: center; }}
</style></head><body><h1>{name}</h1><p>{intitule}</p><p>Niveau 5 — RNCP36390 — n° CCI-FRANCE-2026-000001</p>
<p>Délivré le 22/11/2026</p></body></html>"""


def _floor_renderer(stylesheets=("fonts",)):
    """Bare WeasyPrint with its best settings: one FontConfiguration and the parsed CSS reused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from documents.rendering import get_renderer

    asset_dir = get_renderer().asset_dir
    fonts = FontConfiguration()
    css = [CSS(filename=str(asset_dir / "css" / f"{name}.css"), font_config=fonts) for name in stylesheets]

    def render(html: str) -> bytes:
        return HTML(string=html, base_url=str(asset_dir) + "/").write_pdf(stylesheets=css, font_config=fonts)

    return render


def sample_document():
    """An unsaved numbered parchemin with a realistic context (no database access needed)."""
    import datetime as dt

    from documents.models import DocumentKind, IssuedDocument
    from documents.samples import SAMPLE_PARCHEMIN

    context = {
        k: v
        for k, v in SAMPLE_PARCHEMIN.items()
        if k not in ("numero", "code_verification", "url_verification", "date_delivrance")
    }
    context.update(
        code_certification="RNCP36390",
        repertoire="RNCP",
        date_decision="2022-03-29",
        date_deliberation="2026-06-12",
        signataires=[list(s) for s in SAMPLE_PARCHEMIN["signataires"]],
    )
    return IssuedDocument(
        kind=DocumentKind.PARCHEMIN,
        number="CCIF-2026-000123",
        verification_code="7K2MQX4PH9TD",
        version=1,
        holder_name="Camille Lefèvre-Durand",
        title="Parchemin",
        context=context,
        issued_on=dt.date(2026, 6, 15),
    )


def _platform_parchemin():
    """The platform's parchemin: template + cached renderer + seal (``documents.services.document_pdf``)."""
    from documents.services import document_pdf

    document = sample_document()
    return lambda: document_pdf(document)


_RENDER = None


def _render_many(n: int) -> int:
    """Render ``n`` parchemins in this pool process (its renderer built once, as a Celery worker's is)."""
    global _RENDER
    if _RENDER is None:
        _RENDER = _platform_parchemin()
        _RENDER()
    for _ in range(n):
        _RENDER()
    return os.getpid()


def _throughput_seconds(ctx, processes: int, n: int) -> float:
    """Wall time for ``n`` parchemins shared by ``processes`` warm pool processes.

    Both sides of the ratio are measured the same way: pool processes warmed first (renderer,
    fonts, CSS: what a long-lived worker has), then the wall clock around the whole ``map``.
    """
    with ctx.Pool(processes) as pool:
        warmed: set[int] = set()
        for _ in range(20):
            warmed.update(pool.map(_render_many, [0] * processes, chunksize=1))
            if len(warmed) == processes:
                break
        shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        start = time.perf_counter()
        pool.map(_render_many, shares, chunksize=1)
        return time.perf_counter() - start


def _cpu_ms(fn, n: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) * 1000 / n


def bench_parchemin() -> list[Line]:
    from documents.services import document_html

    # Floor: the same HTML the platform renders, through bare WeasyPrint with the same stylesheets.
    html = document_html(sample_document())
    floor = _floor_renderer(("fonts", "parchemin"))
    platform = _platform_parchemin()
    floor_samples, samples = [], []
    floor(html), platform()
    for _ in range(runs(20)):  # interleaved: both sides see the same machine load
        floor_samples += timed(lambda: floor(html), 1, warmup=0)
        samples += timed(platform, 1, warmup=0)
    cpu_floor, cpu_platform = _cpu_ms(lambda: floor(html), runs(10)), _cpu_ms(platform, runs(10))
    line = Line(
        "parchemin: template+render+seal vs bare WeasyPrint",
        "ms",
        samples,
        floor_samples,
        target="≤ 1.3 × floor",
        note=f"CPU {cpu_platform:.0f} vs {cpu_floor:.0f} ms = {cpu_platform / cpu_floor:.2f}",
    )
    line.passed = line.ratio <= 1.3
    # For information: against a minimal 4-line page with one font (the old floor).
    minimal = _floor_renderer()
    small = FLOOR_PAGE.format(
        name="Camille Martin", intitule="Assistant(e) de gestion et d'administration d'entreprise"
    )
    cpu_min = _cpu_ms(lambda: minimal(small), runs(10))
    info = Line(
        "parchemin vs a minimal 4-line page (info)",
        "ms",
        samples,
        timed(lambda: minimal(small), runs(10)),
        note=f"CPU {cpu_platform:.0f} vs {cpu_min:.0f} ms",
    )
    # Throughput: 1 process vs 2 processes rendering the same number of documents.
    n = runs(48)
    ctx = multiprocessing.get_context("fork")
    one = _throughput_seconds(ctx, 1, n)
    two = _throughput_seconds(ctx, 2, n)
    speedup = one / two
    load = os.getloadavg()[0]
    tput = Line(
        "parchemins/s, 2 processes vs 1",
        "x",
        [speedup],
        target="≥ 1.8 ×",
        note=f"1 proc {n / one:.1f}/s, 2 procs {n / two:.1f}/s, load avg {load:.1f} on {os.cpu_count()} cores",
    )
    tput.passed = speedup >= 1.8
    return [line, info, tput]


def bench_pv() -> list[Line]:
    """The jury's PV (``BENCH_JURY`` candidates, 500 by default; 2,000 for issue 19's jury day)
    against a plain table of as many rows."""
    from bench.jury import N_JURY

    rows = "".join(
        f"<tr><td>{i}</td><td>Candidat {i} Nom-de-famille</td><td>Certifié</td><td>Blocs 1, 2, 3, 4</td><td>—</td></tr>"
        for i in range(N_JURY)
    )
    floor_html = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><style>@page{size:A4;margin:15mm} body{font-family:'DejaVu Sans';font-size:9pt}"
        "table{width:100%;border-collapse:collapse} td{border:1px solid #999;padding:2px}</style></head><body><h1>PV</h1>"
        f"<table>{rows}</table></body></html>"
    )
    floor = _floor_renderer()
    floor_samples = timed(lambda: floor(floor_html), runs(3))
    try:
        from bench.jury import render_pv_500  # the jury PV of 500 candidates through documents.services
    except ImportError:
        return [
            Line(
                f"PV {N_JURY} candidates (floor only)",
                "ms",
                floor_samples,
                note="platform PV template not available yet",
            )
        ]
    samples = timed(render_pv_500, runs(3))
    line = Line(f"PV {N_JURY} candidates", "ms", samples, floor_samples, target="≤ 1.5 × floor")
    line.passed = line.ratio <= 1.5
    return [line]
