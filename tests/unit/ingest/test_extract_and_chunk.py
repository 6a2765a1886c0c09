"""Text extraction, chunking and the ingest queue's messages, without I/O."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from fpdf import FPDF

from lectern.ingest.chunking import chunk_text, estimate_tokens, split_sentences
from lectern.ingest.extract import (
    ENCRYPTED,
    NO_PDF_TEXT,
    NOT_UTF8,
    Unreadable,
    extract,
    join_soft_wraps,
)
from lectern.ingest.messages import (
    DocumentJob,
    LessonJob,
    MalformedMessage,
    normalize_etag,
    parse_message,
)


def make_pdf(pages: list[str], user_password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


# --- extraction -------------------------------------------------------------------------


def test_a_pdf_gives_its_pages_text_with_wrapped_lines_joined():
    long_sentence = " ".join(["The mitral valve closes at the start of systole."] * 12)
    data = make_pdf([long_sentence, "Second page about the aortic valve."])
    extracted = extract(data, "application/pdf")
    assert extracted.page_count == 2
    # multi_cell wrapped the paragraph over several lines; no sentence is cut by a break.
    first, second = extracted.text.split("\n\n")
    assert "\n" not in first
    assert first.count("The mitral valve closes at the start of systole.") == 12
    assert second == "Second page about the aortic valve."


def test_a_password_protected_pdf_is_unreadable_with_a_reason_for_its_owner():
    with pytest.raises(Unreadable) as raised:
        extract(make_pdf(["Secret notes."], user_password="hunter2"), "application/pdf")
    assert raised.value.reason == ENCRYPTED


def test_a_pdf_encrypted_only_against_editing_is_read():
    extracted = extract(make_pdf(["Open to read."], user_password=""), "application/pdf")
    assert extracted.text == "Open to read."


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nnot really a pdf", b"", b"\x00\x01\x02"],
    ids=["garbage", "empty", "binary"],
)
def test_a_damaged_pdf_is_unreadable(data: bytes):
    with pytest.raises(Unreadable, match="damaged"):
        extract(data, "application/pdf")


def test_a_truncated_pdf_is_unreadable():
    data = make_pdf(["Some text."] * 3)
    with pytest.raises(Unreadable):
        extract(data[: len(data) // 2], "application/pdf")


def test_a_pdf_without_text_says_so():
    with pytest.raises(Unreadable) as raised:
        extract(make_pdf([""]), "application/pdf")
    assert raised.value.reason == NO_PDF_TEXT


def test_markdown_loses_its_syntax_but_keeps_words_links_text_and_code():
    markdown = (
        "---\ntitle: front matter\n---\n"
        "# Cardiac *physiology*\n\n"
        "The heart has **four** chambers and a __strong__ wall.\n"
        'It pumps blood to the [lungs](https://example.org/lungs "Lungs").\n'
        "![diagram of the heart](heart.png)\n\n"
        "- first item\n"
        "- item with `snake_case_name` and ~~old~~ text\n\n"
        "> A quoted _remark_.\n\n"
        "```python\nresult = a * b * c  # **kept as is**\n```\n\n"
        "| Valve | Side |\n|---|:---:|\n| Mitral | Left |\n\n"
        "Setext heading\n--------------\n\n"
        "[ref]: https://example.org\n"
        "***\n"
        "Escaped \\*stars\\* stay."
    )
    text = extract(markdown.encode(), "text/markdown").text
    assert text.split("\n\n") == [
        "Cardiac physiology",
        "The heart has four chambers and a strong wall. It pumps blood to the lungs.",
        "first item\nitem with snake_case_name and old text",
        "A quoted remark.",
        "result = a * b * c # **kept as is**",
        "Valve; Side\nMitral; Left",
        "Setext heading",
        "Escaped *stars* stay.",
    ]


def test_html_skips_scripts_and_styles_and_breaks_lines_at_blocks():
    html = (
        "<!doctype html><html><head><title>Valves</title>"
        "<style>p { color: red }</style><script>var x = '<p>not text</p>';</script></head>"
        "<body><h1>Heart &amp; valves</h1><p>The aortic\n   valve opens.<br>Then it closes.</p>"
        "<ul><li>Mitral</li><li>Tricuspid</li></ul>"
        "<noscript>Enable JavaScript</noscript>"
        "<table><tr><td>a</td><td>b</td></tr></table>"
        "<pre>line one\n  line two</pre></body></html>"
    )
    text = extract(html.encode(), "text/html; charset=utf-8").text
    assert text.split("\n\n") == [
        "Valves",
        "Heart & valves",
        "The aortic valve opens.\nThen it closes.",
        "Mitral\nTricuspid",
        "a b",
        "line one\nline two",
    ]
    assert "not text" not in text
    assert "JavaScript" not in text


def test_plain_text_keeps_paragraphs_and_list_items_and_drops_a_bom():
    data = "\ufeffFirst line wraps\nonto a second line.\n\n- one\n- two\n".encode()
    assert (
        extract(data, "text/plain").text == "First line wraps onto a second line.\n\n- one\n- two"
    )


def test_bad_utf8_is_unreadable_with_a_reason():
    with pytest.raises(Unreadable) as raised:
        extract("caf\u00e9".encode("latin-1"), "text/plain")
    assert raised.value.reason == NOT_UTF8


def test_nul_and_control_characters_never_reach_the_database():
    text = extract(b"before\x00after \x07bell", "text/plain").text
    assert text == "beforeafter bell"


def test_an_unknown_type_and_an_empty_file_are_unreadable():
    with pytest.raises(Unreadable, match="cannot be read"):
        extract(b"PK\x03\x04", "application/zip")
    with pytest.raises(Unreadable, match="no text"):
        extract(b"   \n\n  ", "text/plain")


def test_hyphenated_words_are_joined_across_a_wrap():
    assert join_soft_wraps("the physio-\nlogy of the heart") == "the physiology of the heart"
    assert join_soft_wraps("self-\nAware") == "self- Aware"


# --- chunking ---------------------------------------------------------------------------


def test_sentences_split_at_their_ends_but_not_at_abbreviations_or_initials():
    assert split_sentences(
        'Dr. Smith saw it, e.g. twice. He said "Stop." The U.S. team won! Why? 3. Not yet'
    ) == [
        "Dr. Smith saw it, e.g. twice.",
        'He said "Stop."',
        "The U.S. team won!",
        "Why?",
        "3. Not yet",
    ]
    assert split_sentences("心臓は四つある。弁は二つ。") == ["心臓は四つある。", "弁は二つ。"]


def _sentences(n: int) -> str:
    return " ".join(f"Sentence {i} has exactly seven words here." for i in range(n))


def test_chunks_hold_whole_sentences_and_overlap_by_trailing_sentences():
    chunks = chunk_text(_sentences(30), chunk_words=40, overlap_words=15)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.word_count <= 40
        assert chunk.content.endswith("here.")
        assert chunk.content.startswith("Sentence ")
    for before, after in itertools.pairwise(chunks):
        # Two 7-word sentences fit in the 15-word overlap.
        assert after.content.startswith(" ".join(before.content.split()[-14:]))
    # Every sentence is in some chunk, in order.
    seen = " ".join(c.content for c in chunks)
    assert all(f"Sentence {i} " in seen for i in range(30))


def test_no_overlap_when_the_last_sentence_is_longer_than_the_overlap():
    text = " ".join(
        f"Sentence {i} is a rather long one with many words in it indeed." for i in range(6)
    )
    chunks = chunk_text(text, chunk_words=30, overlap_words=5)
    for before, after in itertools.pairwise(chunks):
        assert not set(before.content.split(". ")) & set(after.content.split(". "))


def test_a_sentence_longer_than_a_chunk_is_cut_by_words():
    words = [f"w{i}" for i in range(95)]
    chunks = chunk_text(" ".join(words), chunk_words=40, overlap_words=10)
    assert [c.word_count for c in chunks] == [40, 40, 15]
    assert " ".join(c.content for c in chunks).split() == words


def test_line_and_paragraph_breaks_end_sentences_and_stay_in_the_chunk():
    chunks = chunk_text("Heading\n\nfirst item\nsecond item", chunk_words=50, overlap_words=0)
    assert [c.content for c in chunks] == ["Heading\n\nfirst item\nsecond item"]


def test_empty_text_has_no_chunks_and_token_counts_are_fair_estimates():
    assert chunk_text("   ", 50, 10) == []
    assert estimate_tokens("") == 0
    prose = "The heart pumps blood through the body. " * 10
    # About 4 characters or 0.75 words per token: within a fair band of both.
    assert len(prose.split()) <= estimate_tokens(prose) <= len(prose) / 3
    assert estimate_tokens("x" * 400) == 100


# --- messages ---------------------------------------------------------------------------


def s3_notification(key: str, event: str = "ObjectCreated:Put", etag: str = "abc") -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventName": event,
                    "s3": {
                        "bucket": {"name": "lectern"},
                        "object": {"key": key, "size": 10, "eTag": etag},
                    },
                }
            ]
        }
    )


def test_s3_notifications_give_the_decoded_key_and_etag():
    jobs = parse_message(s3_notification("documents/u1/My+notes%C3%A9.pdf"))
    assert jobs == [DocumentJob(object_key="documents/u1/My notesé.pdf", etag="abc")]
    assert parse_message(s3_notification("avatars/u1.png")) == []
    assert parse_message(s3_notification("documents/x", event="ObjectRemoved:Delete")) == []
    assert parse_message(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []


def test_r2_events_process_created_objects_only():
    def r2(action: str) -> str:
        return json.dumps(
            {
                "account": "3f4b7e3dcab231cbfdaa90a6a28bd548",
                "action": action,
                "bucket": "lectern",
                "object": {"key": "documents/u1/d1", "size": 65536, "eTag": "c846ff7a18f28c2e"},
                "eventTime": "2024-05-24T19:36:44.379Z",
            }
        )

    for action in ("PutObject", "CopyObject", "CompleteMultipartUpload"):
        assert parse_message(r2(action)) == [
            DocumentJob(object_key="documents/u1/d1", etag="c846ff7a18f28c2e")
        ]
    for action in ("DeleteObject", "LifecycleDeletion"):
        assert parse_message(r2(action)) == []


def test_own_messages_name_a_document_or_a_lesson():
    doc_id, lesson_id = uuid.uuid4(), uuid.uuid4()
    body = {"type": "process_document", "document_id": str(doc_id), "etag": '"e1"'}
    assert parse_message(json.dumps(body)) == [DocumentJob(document_id=doc_id, etag="e1")]
    body = {"type": "process_lesson", "lesson_id": str(lesson_id)}
    assert parse_message(json.dumps(body)) == [LessonJob(lesson_id)]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"hello": "world"}',
        '{"type": "process_document", "document_id": "nope"}',
        '{"type": "explode"}',
        '{"Records": [{"eventSource": "aws:sns"}]}',
        '{"Records": "x"}',
    ],
)
def test_malformed_bodies_are_refused(body: str):
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_etags_compare_without_quotes():
    assert normalize_etag('"abc"') == normalize_etag("abc") == "abc"
    assert normalize_etag('""') is None
    assert normalize_etag(None) is None
