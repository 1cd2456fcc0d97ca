"""Probe: parchemin render time with the cached Renderer vs bare WeasyPrint, and seal time.

Run: cd /work/main && .venv/bin/python bench/render_probe.py [runs]
Not a test; prints medians (ms) and the process's peak RSS.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from documents.rendering import get_renderer, harfbuzz_subset_available  # noqa: E402
from documents.samples import sample_parchemin_html  # noqa: E402
from documents.sealing import ensure_dev_signing_identity, seal_pdf, verify_seal  # noqa: E402

CPU_MEDIANS: dict[str, float] = {}


def timed(fn, runs: int, label: str = "") -> tuple[float, object]:
    """Median wall time (ms) over ``runs`` after one warm-up; CPU-time median kept aside
    (the wall clock is noisy when other processes share the 2 cores)."""
    result = fn()  # warm-up
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_MEDIANS[label] = statistics.median(cpu) * 1000
    return statistics.median(samples) * 1000, result


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    html = sample_parchemin_html()
    renderer = get_renderer()
    css_dir = renderer.asset_dir / "css"

    def cached():
        return renderer.render_pdf(html, stylesheet="parchemin")

    def bare():
        font_config = FontConfiguration()
        sheets = [
            CSS(filename=str(css_dir / "fonts.css"), font_config=font_config),
            CSS(filename=str(css_dir / "parchemin.css"), font_config=font_config),
        ]
        return HTML(string=html, base_url=renderer.base_url).write_pdf(
            stylesheets=sheets, font_config=font_config
        )

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cached_ms, pdf = timed(cached, runs, "cached")
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bare_ms, _ = timed(bare, runs, "bare")
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with tempfile.TemporaryDirectory() as tmp:
        key_path, cert_path = ensure_dev_signing_identity(tmp)
        seal_ms, sealed = timed(lambda: seal_pdf(pdf, key_path=key_path, cert_path=cert_path), runs, "seal")
        verify_ms, status = timed(lambda: verify_seal(sealed, trust_cert_path=cert_path), runs, "verify")
    assert status.valid, status

    print(f"harfbuzz-subset available : {harfbuzz_subset_available()}")
    print(f"runs                      : {runs} (median, after one warm-up)")
    print(f"parchemin, cached Renderer: {cached_ms:7.1f} ms  ({1000 / cached_ms:.1f} documents/s)")
    print(f"parchemin, bare WeasyPrint: {bare_ms:7.1f} ms  (fresh FontConfiguration + CSS parse each time)")
    print(f"ratio bare / cached       : {bare_ms / cached_ms:7.2f}")
    print(f"seal (PAdES B-B, EC P-256): {seal_ms:7.1f} ms")
    print(f"verify seal               : {verify_ms:7.1f} ms")
    print(f"PDF size                  : {len(pdf) / 1024:.0f} KiB, sealed {len(sealed) / 1024:.0f} KiB")
    print("CPU-time medians (ms)     : " + ", ".join(f"{k} {v:.1f}" for k, v in CPU_MEDIANS.items()))
    print(f"load average              : {os.getloadavg()[0]:.2f}")
    print(f"peak RSS KiB: start {rss0}, after cached {rss1}, after bare {rss2}")


if __name__ == "__main__":
    main()
