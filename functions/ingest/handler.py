"""Function `ingest`: documents and lessons into chunks with embeddings (SQS-triggered).

Each SQS record holds one message (see ``lectern.ingest.messages``): the bucket's
ObjectCreated notification, a "process document" message from completion, or a "process
lesson" message relayed from the outbox. Records are processed one by one with
Powertools' batch processor; the answer lists only the records that failed
(``ReportBatchItemFailures``), so SQS retries those alone and, after the queue's
``maxReceiveCount``, moves them to the dead-letter queue. Processing is idempotent by
(document, ETag) and (lesson, text hash), so a redelivered record changes nothing.

A job is started only while the invocation has its whole budget left
(``LECTERN_INGEST_JOB_SECONDS`` and the write after it): the records a long batch leaves
are handed back untouched (reported failed, so SQS offers them again) rather than cut by
the Lambda timeout, which would send the whole batch back, a half-embedded file with it.
"""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup

# isort: split

import threading
import warnings
from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lectern.core import snapstart
from lectern.ingest.messages import MalformedMessage, parse_message
from lectern.ingest.pipeline import run_job, seconds_needed
from lectern.observability import get_logger, get_metrics

logger = get_logger()
metrics = get_metrics()
# Under SnapStart: no client kept across the snapshot, random re-seeded on restore.
snapstart.register()
warnings.filterwarnings("ignore", message="No application metrics to publish")
# In Lambda one invocation runs at a time; the local worker and the tests may call the
# handler from several threads, and the shared metric set must not be flushed mid-add.
_metrics_lock = threading.Lock()


class Deferred(Exception):
    """Too little of the invocation is left to start a job: the record goes back as it is."""


def _record_handler(counts: Counter[str], context: Any) -> Any:
    time_left = getattr(context, "get_remaining_time_in_millis", None)

    def handle(record: SQSRecord) -> None:
        try:
            jobs = parse_message(record.body)
        except MalformedMessage as exc:
            counts["IngestMessageMalformed"] += 1
            logger.error(
                "malformed ingest message",
                extra={"message_id": record.message_id, "error": str(exc)},
            )
            raise
        for job in jobs:
            if time_left is not None and time_left() < seconds_needed() * 1000:
                counts["IngestJobDeferred"] += 1
                logger.info(
                    "too little time left to start an ingest job; the message goes back",
                    extra={"message_id": record.message_id, "job": repr(job)},
                )
                raise Deferred
            try:
                outcome = run_job(job)
            except Exception as exc:
                counts["IngestJobRetried"] += 1
                logger.warning(
                    "ingest job failed; the message will be retried",
                    extra={
                        "message_id": record.message_id,
                        "receive_count": record.attributes.approximate_receive_count,
                        "job": repr(job),
                        "error": type(exc).__name__,
                    },
                )
                raise
            counts[f"IngestSource{outcome.status.title()}"] += 1
            counts["IngestChunksWritten"] += outcome.chunks if outcome.status == "ready" else 0
            # Many of these at once is someone feeding the pipeline bombs: worth an alarm.
            counts["IngestOverLimit"] += 1 if outcome.limit else 0
            logger.info(
                "ingest job done",
                extra={
                    "message_id": record.message_id,
                    "job": repr(job),
                    "status": outcome.status,
                    "chunks": outcome.chunks,
                    "reason": outcome.reason,
                    "limit": outcome.limit,
                },
            )

    return handle


def _publish(counts: Counter[str]) -> None:
    with _metrics_lock:
        for name, value in counts.items():
            if value:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        metrics.flush_metrics(raise_on_empty_metrics=False)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    lectern.startup.loaded()
    counts: Counter[str] = Counter()
    # A processor per invocation: it keeps the batch's state on itself.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        response: dict[str, Any] = process_partial_response(
            event=event,
            record_handler=_record_handler(counts, context),
            processor=processor,
            context=context,
        )
    finally:
        _publish(counts)
    return response
