"""Ingest of a 200-page PDF through the `ingest` Lambda handler, against pypdf alone.

    .venv/bin/python bench/ingest.py [--pages 200] [--runs 5]

Starts the embedded stack, migrates, makes an owner and a completed document whose PDF
(made with fpdf2: about 330 words a page, in paragraphs) is in moto's S3. Each run sends
the handler the SQS event Lambda would build for a "process document" message, after
clearing the document's processed ETag so the run does the whole work: download,
extract (pypdf), chunk, embed (the local embedder), and the one transaction that
replaces the chunks. The baseline, in the same run, is pypdf's text extraction of the
same bytes alone: the floor any ingest of this file stands on. Figures are medians.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

SENTENCE = (
    "cardiac output equals stroke volume times heart rate while preload afterload and "
    "contractility set the stroke volume of each beat in the left ventricle"
)
WORDS = SENTENCE.split(" ")


def make_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for p in range(pages):
        pdf.add_page()
        for paragraph in range(4):
            sentences = []
            for s in range(6):
                start = (p * 7 + paragraph * 3 + s) % len(WORDS)
                words = (WORDS * 2)[start : start + 12 + (s % 4)]
                sentences.append(f"Page {p} point {paragraph}.{s}: " + " ".join(words) + ".")
            pdf.multi_cell(0, 4.5, " ".join(sentences))
            pdf.ln(3)
    return bytes(pdf.output())


def setup(stack: Any, data: bytes) -> uuid.UUID:
    """An owner and a completed document whose object is ``data``."""
    from lectern.config import get_settings
    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.documents.models import Document, DocumentStatus
    from lectern.identity.service import create_account

    with get_sessionmaker()() as db:
        owner = create_account(
            db, email="owner@bench.invalid", name="Owner", password=None, role=UserRole.student
        )
        doc_id = uuid.uuid4()
        key = f"documents/{owner.id}/{doc_id}"
        reply = stack.aws_client("s3").put_object(
            Bucket=get_settings().storage.bucket, Key=key, Body=data, ContentType="application/pdf"
        )
        db.add(
            Document(
                id=doc_id,
                owner_id=owner.id,
                filename="textbook.pdf",
                content_type="application/pdf",
                size_bytes=len(data),
                object_key=key,
                status=DocumentStatus.processing,
                etag=reply["ETag"].strip('"'),
            )
        )
        db.commit()
    return doc_id


def sqs_event(doc_id: uuid.UUID) -> dict[str, Any]:
    body = json.dumps({"type": "process_document", "document_id": str(doc_id)})
    now = str(int(time.time() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:lectern-ingest",
                "awsRegion": "us-east-1",
            }
        ]
    }


def reset(doc_id: uuid.UUID) -> None:
    """Forget that this version was processed, so the next run does all the work."""
    from sqlalchemy import text

    from lectern.db.engine import get_engine

    with get_engine().begin() as conn:
        conn.execute(
            text(
                "UPDATE documents SET processed_etag = NULL, status = 'processing' WHERE id = :id"
            ),
            {"id": doc_id},
        )


def state(doc_id: uuid.UUID) -> tuple[str, int, int | None, int]:
    from sqlalchemy import text

    from lectern.db.engine import get_engine

    with get_engine().connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, chunk_count, page_count,"
                " (SELECT count(*) FROM chunks WHERE document_id = :id) AS stored"
                " FROM documents WHERE id = :id"
            ),
            {"id": doc_id},
        ).one()
    return str(row.status), int(row.chunk_count), row.page_count, int(row.stored)


def pypdf_only(data: bytes) -> float:
    from pypdf import PdfReader

    t0 = time.perf_counter()
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    elapsed = time.perf_counter() - t0
    if not text:
        raise RuntimeError("pypdf found no text")
    return elapsed


def stages(data: bytes) -> dict[str, float]:
    """Each stage of the pipeline alone, in seconds (no storage, no database)."""
    from lectern.config import get_settings
    from lectern.embeddings.factory import get_embedder
    from lectern.embeddings.port import embed_all
    from lectern.ingest.chunking import chunk_text
    from lectern.ingest.extract import Limits, extract

    ingest = get_settings().ingest
    t0 = time.perf_counter()
    limits = Limits.starting_now(
        max_pages=ingest.max_pages,
        max_characters=ingest.max_characters,
        max_expansion=ingest.max_expansion,
        seconds=ingest.job_seconds,
    )
    extracted = extract(data, "application/pdf", limits)
    t1 = time.perf_counter()
    chunks = chunk_text(
        extracted.text, ingest.chunk_words, ingest.chunk_overlap_words, max_chunks=ingest.max_chunks
    )
    t2 = time.perf_counter()
    embed_all(get_embedder(), [c.content for c in chunks])
    t3 = time.perf_counter()
    return {"extract": t1 - t0, "chunk": t2 - t1, "embed": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    data = make_pdf(args.pages)
    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true") as stack:
        from local.events import LambdaContext
        from local.functions import load_module
        from local.ingest_worker import TIMEOUT_MS

        def context() -> LambdaContext:
            # A fresh invocation with the function's whole timeout: jobs start only then.
            return LambdaContext(function_name="lectern-ingest", remaining_ms=TIMEOUT_MS)

        handler = load_module("ingest", "handler.py").handler
        doc_id = setup(stack, data)
        times: list[float] = []
        chunk_counts: list[int] = []
        # Powertools prints its EMF blob to stdout: kept off the table.
        with contextlib.redirect_stdout(io.StringIO()):
            # The first run loads pypdf, registers the model and builds its index: the
            # cold start, excluded as for a warm container.
            handler(sqs_event(doc_id), context())
            for _ in range(args.runs):
                reset(doc_id)
                t0 = time.perf_counter()
                reply = handler(sqs_event(doc_id), context())
                times.append(time.perf_counter() - t0)
                if reply["batchItemFailures"]:
                    raise RuntimeError(f"the handler failed the record: {reply}")
                status, chunk_count, pages, stored = state(doc_id)
                if status != "ready" or stored != chunk_count or pages != args.pages:
                    raise RuntimeError(f"unexpected result: {status} {chunk_count} {stored}")
                chunk_counts.append(chunk_count)
        baseline = [pypdf_only(data) for _ in range(args.runs)]
        parts = [stages(data) for _ in range(args.runs)]

    handler_s = statistics.median(times)
    base_s = statistics.median(baseline)
    chunks = statistics.median(chunk_counts)
    print(
        f"\n{args.pages}-page PDF ({len(data) / 1e6:.2f} MB, {chunks:.0f} chunks)"
        f" through the ingest Lambda handler, median of {args.runs} runs"
    )
    print(f"{'method':28} {'seconds':>8} {'pages/s':>9} {'chunks/s':>9}")
    print(
        f"{'handler (S3 → chunks in DB)':28} {handler_s:8.2f} {args.pages / handler_s:9.1f}"
        f" {chunks / handler_s:9.1f}"
    )
    print(f"{'baseline: pypdf text alone':28} {base_s:8.2f} {args.pages / base_s:9.1f} {'':>9}")
    print(f"ratio (handler / pypdf alone, time): {handler_s / base_s:.2f}x")
    for name in ("extract", "chunk", "embed"):
        median = statistics.median(p[name] for p in parts)
        print(f"  stage {name:8} {median:6.2f} s ({median / handler_s:5.1%} of the handler)")


if __name__ == "__main__":
    main()
