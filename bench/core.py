"""Benchmark harness: each benchmark measures the platform's work and, in the same run, its floor.

A benchmark function returns a list of ``Line``s. ``ratio`` = platform median / floor median;
``target`` states the pass condition. Timings are medians of several runs after a warm-up.
"""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Line:
    name: str
    unit: str
    samples: list[float]
    floor: list[float] | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def ratio(self) -> float | None:
        return self.median / statistics.median(self.floor) if self.floor else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(
            median=self.median,
            min=min(self.samples),
            max=max(self.samples),
            ratio=self.ratio,
            floor_median=statistics.median(self.floor) if self.floor else None,
        )
        return data


def timed(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def runs(default: int) -> int:
    return max(3, int(default * float(os.environ.get("BENCH_SCALE", "1"))))


def table(lines: list[Line]) -> str:
    head = f"{'benchmark':62} {'median':>10} {'min':>10} {'max':>10} {'floor':>10} {'ratio':>7}  {'target':30} result"
    rows = [head, "-" * len(head)]
    for line in lines:
        floor = f"{statistics.median(line.floor):10.1f}" if line.floor else f"{'':>10}"
        ratio = f"{line.ratio:7.2f}" if line.ratio is not None else f"{'':>7}"
        result = "" if line.passed is None else ("PASS" if line.passed else "FAIL")
        rows.append(
            f"{line.name[:62]:62} {line.median:10.1f} {min(line.samples):10.1f} {max(line.samples):10.1f} {floor} {ratio}  {line.target[:30]:30} {result}"
            + (f"  ({line.note})" if line.note else "")
        )
    rows.append("(times in ms unless the line's unit says otherwise)")
    return "\n".join(rows)
