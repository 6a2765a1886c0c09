"""What a hostile upload costs the ingest pipeline now that reading is capped.

    .venv/bin/python bench/ingest_limits.py [--unpacked 1500000] [--runs 5]

1. A compression bomb: one PDF page whose FlateDecode content stream unpacks to
   ``--unpacked`` bytes of text operators (a few KB on disk). The pipeline's extraction
   under the default limits refuses it; the baseline, in the same run, is pypdf reading
   it whole, which is what ingest did before (and then chunked and embedded the result).
2. Long paragraphs and lines: joining soft wraps, and cutting sentences where "Dr." and
   "Fig. 1" never end one, at n and 4n lines. Linear work takes about 4 times as long at
   4n; the quadratic code this replaced took about 16 times.

No services are needed. Figures are medians.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bomb_figures(unpacked: int, runs: int) -> None:
    from pypdf import PdfReader

    from lectern.config import IngestSettings
    from lectern.ingest.extract import Limits, OverLimit, extract
    from tests.pdfs import bomb

    data = bomb(unpacked)
    ingest = IngestSettings()

    def refused() -> None:
        limits = Limits.starting_now(
            max_pages=ingest.max_pages,
            max_characters=ingest.max_characters,
            max_expansion=ingest.max_expansion,
            seconds=ingest.job_seconds,
        )
        try:
            extract(data, "application/pdf", limits)
        except OverLimit:
            return
        raise RuntimeError("the bomb was not refused")

    def pypdf_whole() -> None:
        reader = PdfReader(io.BytesIO(data))
        if not "".join(page.extract_text() or "" for page in reader.pages):
            raise RuntimeError("pypdf found no text")

    ours = median_seconds(refused, runs)
    base = median_seconds(pypdf_whole, max(1, runs // 2))
    print(
        f"\ncompression bomb: {len(data) / 1e3:.1f} KB unpacking to {unpacked / 1e6:.1f} MB"
        f" ({unpacked / len(data):.0f}x), median of {runs} runs"
    )
    print(f"{'method':34} {'seconds':>9}")
    print(f"{'ingest extraction (refuses it)':34} {ours:9.4f}")
    print(f"{'baseline: pypdf reads it whole':34} {base:9.4f}")
    print(f"ratio (baseline / ingest, time): {base / ours:.0f}x")


def scaling_figures(runs: int) -> None:
    from lectern.ingest.chunking import chunk_text
    from lectern.ingest.extract import join_soft_wraps

    line = "The heart pumps blood through the body every second of the day."
    cases: list[tuple[str, Callable[[int], object]]] = [
        ("soft wraps, one paragraph", lambda n: join_soft_wraps("\n".join([line] * n))),
        ("sentences, 'Dr. Smith' on one line", lambda n: chunk_text("Dr. Smith " * n)),
        ("sentences, 'Fig. 1' on one line", lambda n: chunk_text("Fig. 1 " * n)),
    ]
    print(f"\nlong paragraphs and lines, median of {runs} runs")
    print(f"{'input':36} {'n':>7} {'s at n':>8} {'s at 4n':>8} {'4n / n':>7}")
    for name, work in cases:
        n = 20_000
        small = median_seconds(lambda: work(n), runs)  # noqa: B023 - used at once
        large = median_seconds(lambda: work(4 * n), runs)  # noqa: B023 - used at once
        print(f"{name:36} {n:7} {small:8.3f} {large:8.3f} {large / small:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unpacked", type=int, default=1_500_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bomb_figures(args.unpacked, args.runs)
    scaling_figures(args.runs)


if __name__ == "__main__":
    main()
