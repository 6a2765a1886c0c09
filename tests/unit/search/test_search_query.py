"""Full-text query handling without I/O: typo rewriting, the prefix word, snippets, the
Typesense visibility filter and document shape, and the outbox back-off."""

import uuid
from datetime import timedelta

import pytest

from lectern.search.port import MARK_END, MARK_START, IndexDoc, Viewer, safe_snippet
from lectern.search.postgres import query_words, rewrite, split_prefix
from lectern.search.sync import BACKOFF_CAP_SECONDS, backoff
from lectern.search.typesense import document, filter_by

SYNONYMS = {"mitosys": "mitosis", "protien": "protein"}


def test_rewrite_replaces_known_typos_whatever_their_case_and_keeps_the_syntax() -> None:
    assert rewrite("Mitosys and protien", SYNONYMS) == "mitosis and protein"
    assert rewrite('"mitosys phase" -protien or cell', SYNONYMS) == (
        '"mitosis phase" -protein or cell'
    )
    # Only whole words: a typo inside a longer word stays.
    assert rewrite("premitosys", SYNONYMS) == "premitosys"
    assert rewrite("cell", {}) == "cell"


def test_query_words_are_lower_case_and_drop_punctuation() -> None:
    assert query_words("Cell's -Membrane, (ATP)!") == ["cell's", "membrane", "atp"]
    assert query_words("  !!! ") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mito", ("", "mito")),
        ("cell mito", ("cell", "mito")),
        ("Cell Mito", ("Cell", "mito")),
        # A finished word (trailing space) is not a prefix any more.
        ("cell mito ", ("cell mito ", None)),
        # Inside an open quote, after '-', or the operator itself: no prefix.
        ('"cell mito', ('"cell mito', None)),
        ("cell -mito", ("cell -mito", None)),
        ("cell or", ("cell or", None)),
        ('"cell wall" mito', ('"cell wall"', "mito")),
        ("cell!", ("cell!", None)),
        ("x" * 65, ("x" * 65, None)),
    ],
)
def test_split_prefix(query: str, expected: tuple[str, str | None]) -> None:
    assert split_prefix(query) == expected


def test_the_prefix_word_never_carries_tsquery_syntax() -> None:
    for query in ["a:*", "a&b", "a|b", "a!b", "it's", "(a)", "a<->b", "é"]:
        _head, word = split_prefix(query)
        assert word is None or word.isalnum(), query


def test_snippets_are_escaped_and_marked() -> None:
    marked = f"<script>alert(1)</script> the {MARK_START}cell{MARK_END} & more"
    assert safe_snippet(marked) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; the <mark>cell</mark> &amp; more"
    )


ME = uuid.UUID("00000000-0000-7000-8000-000000000001")
COURSE = uuid.UUID("00000000-0000-7000-8000-0000000000c1")


def test_typesense_filter_for_anonymous_callers_is_published_courses() -> None:
    assert filter_by(["course"], Viewer()) == "type:=course && published:=true"


def test_typesense_filter_for_admins_only_narrows_the_types() -> None:
    admin = Viewer(user_id=ME, is_admin=True)
    assert filter_by(["lesson", "question"], admin) == "type:[`lesson`,`question`]"


def test_typesense_filter_for_a_member_follows_each_types_rule() -> None:
    viewer = Viewer(user_id=ME, enrolled_course_ids=(COURSE,))
    got = filter_by(["course", "lesson", "question"], viewer)
    assert got == (
        f"(type:=course && (published:=true || owner_id:=`{ME}`))"
        f" || (type:=lesson && (owner_id:=`{ME}`"
        f" || (published:=true && course_id:[`{COURSE}`])))"
        f" || (type:=question && owner_id:=`{ME}`)"
    )
    # Without enrollments a lesson is found by its owner only.
    assert filter_by(["lesson"], Viewer(user_id=ME)) == f"(type:=lesson && owner_id:=`{ME}`)"


def test_typesense_document_carries_the_visibility_fields() -> None:
    doc = IndexDoc("lesson", ME, "Title", "Body", COURSE, ME, True)
    assert document(doc) == {
        "id": f"lesson:{ME}",
        "type": "lesson",
        "title": "Title",
        "body": "Body",
        "course_id": str(COURSE),
        "owner_id": str(ME),
        "published": True,
    }
    # An optional field is left out, never sent as null.
    question = IndexDoc("question", ME, "Q", "B", None, ME, False)
    assert "course_id" not in document(question)


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(0) == timedelta(seconds=5)
    assert backoff(1) == timedelta(seconds=10)
    assert backoff(3) == timedelta(seconds=40)
    assert backoff(50) == timedelta(seconds=BACKOFF_CAP_SECONDS)


@pytest.mark.parametrize(
    ("version", "major"),
    [
        ("0.24.1", 0),
        ("29.0", 29),
        ("30.0", 30),
        ("v30.1", 30),
        ("30.0.rc12", 30),
        ("nightly", None),
    ],
)
def test_the_major_version_of_a_typesense_server(version: str, major: int | None) -> None:
    from lectern.search.typesense import major_version

    assert major_version(version) == major


def test_the_schema_names_the_synonym_set_only_for_typesense_30() -> None:
    from lectern.search.typesense import schema

    assert schema("c")["synonym_sets"] == ["c-synonyms"]
    assert "synonym_sets" not in schema("c", synonym_sets=False)
    assert schema("c")["fields"] == schema("c", synonym_sets=False)["fields"]
    assert schema("c")["token_separators"] == ["<", ">", "/", "-"]
