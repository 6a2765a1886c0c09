"""What one file may cost to read: pages, characters, unpacked bytes and time, each
checked while reading (no I/O)."""

from __future__ import annotations

import time

import pytest

from lectern.config import IngestSettings
from lectern.ingest.chunking import chunk_text
from lectern.ingest.extract import Limits, OverLimit, extract
from tests.pdfs import LINE, bomb, pdf_with_streams, text_stream
from tests.unit.ingest.test_extract_and_chunk import make_pdf


def production_limits() -> Limits:
    ingest = IngestSettings()
    return Limits.starting_now(
        max_pages=ingest.max_pages,
        max_characters=ingest.max_characters,
        max_expansion=ingest.max_expansion,
        seconds=ingest.job_seconds,
    )


def over(data: bytes, content_type: str, limits: Limits) -> OverLimit:
    with pytest.raises(OverLimit) as raised:
        extract(data, content_type, limits)
    return raised.value


def test_a_compression_bomb_is_refused_by_its_expansion_before_it_is_read():
    data = bomb(10_000_000)
    assert len(data) < 50_000
    refused = over(data, "application/pdf", production_limits())
    assert refused.limit == "expansion"
    assert refused.reason.startswith("The PDF unpacks to more than 50 times its own size")


def test_streams_that_each_fit_but_together_unpack_too_far_are_refused():
    # Ten pages of 100 KB each from a ~4 KB file: no one stream is past the bound,
    # their sum is.
    data = pdf_with_streams([text_stream(1_400)] * 10)
    single = len(text_stream(1_400))
    limits = Limits(max_expansion=(2.5 * single) / len(data))
    assert over(data, "application/pdf", limits).limit == "expansion"
    assert extract(data, "application/pdf", Limits(max_expansion=20 * single / len(data)))


def test_too_many_pages_is_refused_with_the_count_and_the_limit():
    data = make_pdf([f"Page {i} about the heart." for i in range(12)])
    refused = over(data, "application/pdf", Limits(max_pages=10))
    assert refused.limit == "pages"
    assert refused.reason == (
        "The PDF has 12 pages; the limit is 10. Split it into smaller files and upload those."
    )
    assert extract(data, "application/pdf", Limits(max_pages=12)).page_count == 12


def test_a_page_tree_that_understates_its_count_is_counted_by_walking_it():
    data = pdf_with_streams([text_stream(2)] * 12, declared_count=1)
    refused = over(data, "application/pdf", Limits(max_pages=10))
    assert refused.reason.startswith("The PDF has 12 pages; the limit is 10.")


def test_a_page_tree_that_claims_millions_of_pages_is_refused_without_walking_it():
    data = pdf_with_streams([text_stream(2)], declared_count=5_000_000)
    refused = over(data, "application/pdf", Limits(max_pages=1000))
    assert refused.reason.startswith("The PDF has 5,000,000 pages; the limit is 1,000.")


def test_too_much_pdf_text_is_refused_within_the_page():
    data = pdf_with_streams([text_stream(5_000)])
    refused = over(data, "application/pdf", Limits(max_characters=10_000))
    assert refused.limit == "characters"
    assert refused.reason == (
        "The file has more than 10,000 characters of text; the limit is 10,000. "
        "Split it into smaller files and upload those."
    )


def test_a_page_that_reads_for_too_long_is_stopped_while_it_is_read():
    # One page that takes pypdf many seconds: with no page after it, only a check made
    # during the page can stop it.
    data = pdf_with_streams([text_stream(40_000)])
    limits = Limits(seconds=0.2, deadline=time.monotonic() + 0.2)
    refused = over(data, "application/pdf", limits)
    assert refused.limit == "time"
    assert refused.reason == (
        "Reading the file took longer than 0.2 seconds, the most one document may take. "
        "Split it into smaller files and upload those."
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/markdown", "# Notes\n\n" + "The valve closes. " * 2_000),
        ("text/html", "<p>" + "The valve closes. " * 2_000 + "</p>"),
        ("text/plain", "The valve closes. " * 2_000),
    ],
    ids=["markdown", "html", "text"],
)
def test_text_files_are_held_to_the_character_and_time_limits(content_type: str, body: str):
    data = body.encode()
    assert over(data, content_type, Limits(max_characters=10_000)).limit == "characters"
    spent = Limits(seconds=1, deadline=time.monotonic() - 1)
    assert over(data, content_type, spent).limit == "time"
    assert extract(data, content_type, Limits(max_characters=40_000)).text


def test_ordinary_documents_are_well_within_the_default_limits():
    pages = [
        " ".join(f"Sentence {p}.{s} explains how the atria fill the ventricles." for s in range(60))
        for p in range(30)
    ]
    data = make_pdf(pages)
    extracted = extract(data, "application/pdf", production_limits())
    assert extracted.page_count == 30
    assert "Sentence 29.59" in extracted.text
    # Text as dense and repetitive as this PDF unpacks to a few times its size.
    assert len(extracted.text) < 10 * len(data)


def test_chunking_stops_one_chunk_past_the_cap():
    text = " ".join(f"Point {i} is made here." for i in range(2_000))
    everything = chunk_text(text, 50, 10)
    assert len(everything) > 20
    capped = chunk_text(text, 50, 10, max_chunks=20)
    assert capped == everything[:21]
    assert chunk_text(text, 50, 10, max_chunks=len(everything)) == everything


def test_the_line_used_for_bombs_is_text_pypdf_reads():
    text = extract(pdf_with_streams([text_stream(3)]), "application/pdf").text
    assert text.count(LINE.split(b")")[0][1:].decode()) == 3
