"""What both search adapters are held to: entries to index, and the visibility rules
every adapter must keep (``assert_visibility``), shared by the Postgres and Typesense
tests."""

import uuid

from lectern.search.port import IndexDoc, SearchIndex, Viewer


def word() -> str:
    """A word no other test's text holds, so a search sees only this test's entries."""
    return "zq" + uuid.uuid4().hex[:10]


def doc(
    entity_type: str = "course",
    *,
    title: str,
    body: str = "",
    owner: uuid.UUID | None = None,
    course: uuid.UUID | None = None,
    published: bool = True,
) -> IndexDoc:
    entity_id = uuid.uuid4()
    return IndexDoc(
        type=entity_type,  # type: ignore[arg-type]
        id=entity_id,
        title=title,
        body=body,
        course_id=course
        if course is not None
        else (entity_id if entity_type == "course" else None),
        owner_id=owner or uuid.uuid4(),
        published=published,
    )


def visibility_entries(
    w: str, me: uuid.UUID, other: uuid.UUID, enrolled_course: uuid.UUID
) -> dict[str, IndexDoc]:
    """One of each kind of entry a visibility rule tells apart, all matching ``w``."""
    return {
        "published course": doc(title=w, owner=other),
        "others draft course": doc(title=w, owner=other, published=False),
        "my draft course": doc(title=w, owner=me, published=False),
        "lesson of my draft": doc("lesson", title=w, owner=me, published=False),
        "lesson of enrolled": doc("lesson", title=w, owner=other, course=enrolled_course),
        "lesson of enrolled, unpublished": doc(
            "lesson", title=w, owner=other, course=enrolled_course, published=False
        ),
        "lesson of a course not enrolled": doc("lesson", title=w, owner=other, course=uuid.uuid4()),
        "my question": doc("question", title=w, owner=me, published=False),
        "others question": doc("question", title=w, owner=other, published=False),
    }


def assert_visibility(
    index: SearchIndex,
    w: str,
    entries: dict[str, IndexDoc],
    *,
    me: uuid.UUID,
    other: uuid.UUID,
    enrolled_course: uuid.UUID,
) -> None:
    """The visibility rules every adapter must keep (the last search is the admin's)."""
    by_id = {e.id: name for name, e in entries.items()}
    everything = ["course", "lesson", "question"]

    def seen(viewer: Viewer, types: list[str] = everything) -> set[str]:
        hits, found = index.search(w, types, viewer, 50)  # type: ignore[arg-type]
        assert found == len(hits)
        return {by_id[h.id] for h in hits}

    assert seen(Viewer(), ["course"]) == {"published course"}
    member = Viewer(user_id=me, enrolled_course_ids=(enrolled_course,))
    assert seen(member) == {
        "published course",
        "my draft course",
        "lesson of my draft",
        "lesson of enrolled",
        "my question",
    }
    assert seen(member, ["lesson"]) == {"lesson of my draft", "lesson of enrolled"}
    assert seen(Viewer(user_id=me)) == {
        "published course",
        "my draft course",
        "lesson of my draft",
        "my question",
    }
    assert seen(Viewer(user_id=other, is_admin=True)) == set(entries)
