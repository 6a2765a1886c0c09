"""Object-level authorization: every route that takes an id, for every kind of caller.

Callers: the object's owner (the instructor who wrote the course or question, or the
learner who took the exam, enrolled, made the share or uploaded the document), another
learner, another instructor, an admin and an anonymous caller. Each case runs in a fresh world of
objects: the outsiders go first and must be refused (401, 403 or 404) without changing
anything, then the owner, in the same world, must succeed. The admin runs in a world
of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.api import role_matrix
from tests.e2e.api.role_matrix import RoleCase
from tests.e2e.conftest import invoke
from tests.factories import Account, new_account

# The same few actors post a fresh forum world for every case: far past a member's hourly
# posting limit, which the forum tests check on their own.
_MATRIX_LIMITS = {
    "LECTERN_FORUM_POSTS_PER_HOUR": "1000000",
    "LECTERN_FORUM_FLAGS_PER_HOUR": "1000000",
}


@pytest.fixture(scope="module", autouse=True)
def _matrix_limits():
    from tests.conftest import environment

    with environment(_MATRIX_LIMITS):
        yield


REFUSED = role_matrix.REFUSED


@dataclass
class World:
    live: dict[str, Any]  # a published course with one module and lesson
    live_module: dict[str, Any]
    live_lesson: dict[str, Any]
    draft: dict[str, Any]  # an unpublished course with one lesson
    draft_lesson: dict[str, Any]
    question: dict[str, Any]
    exam: dict[str, Any]
    share: dict[str, Any]
    document: dict[str, Any]  # the learner's, uploaded and completed
    session: dict[str, Any]  # one of the learner's sessions (its public id)
    learner: dict[str, Any]  # the enrolled learner, as the roster names them
    quiz: dict[str, Any]  # a quiz of the live course, of the instructor's question
    resource: dict[str, Any]  # the instructor's ready document, attached to the live lesson
    spare_document: dict[str, Any]  # another ready document of the instructor's
    study_item: dict[str, Any]  # the learner's flashcard
    chat: dict[str, Any]  # the learner's AI chat


@pytest.fixture(scope="module")
def actors() -> dict[str, Account | None]:
    return {
        "instructor": new_account("instructor", "Owner Instructor"),
        "learner": new_account("student", "Owner Learner"),
        "other_learner": new_account("student", "Other Learner"),
        "other_instructor": new_account("instructor", "Other Instructor"),
        "admin": new_account("admin", "Admin"),
    }


def _ok(reply, status: int = 201) -> dict[str, Any]:
    assert reply.status == status, reply.body
    return reply.body


def _course(owner: Account, publish: bool) -> tuple[dict, dict, dict]:
    course = _ok(
        invoke("courses", "POST", "/v1/courses", token=owner.token, body={"title": "Matrix"})
    )
    module = _ok(
        invoke(
            "courses",
            "POST",
            f"/v1/courses/{course['id']}/modules",
            token=owner.token,
            body={"title": "M"},
        )
    )
    lesson = _ok(
        invoke(
            "courses",
            "POST",
            f"/v1/modules/{module['id']}/lessons",
            token=owner.token,
            body={"title": "L", "content": "# L"},
        )
    )
    if publish:
        _ok(
            invoke("courses", "POST", f"/v1/courses/{course['id']}/publish", token=owner.token), 200
        )
    return course, module, lesson


def _world(actors: dict[str, Account | None]) -> World:
    instructor, learner = actors["instructor"], actors["learner"]
    assert instructor and learner
    live, live_module, live_lesson = _course(instructor, publish=True)
    draft, _, draft_lesson = _course(instructor, publish=False)
    topic = f"matrix-{uuid.uuid4().hex[:8]}"
    question = _ok(
        invoke(
            "assessments",
            "POST",
            "/v1/questions",
            token=instructor.token,
            body={
                "prompt": "Two plus two?",
                "type": "single_choice",
                "difficulty": "easy",
                "topic": topic,
                "options": [{"text": "4", "is_correct": True}, {"text": "5", "is_correct": False}],
            },
        )
    )
    _ok(invoke("progress", "POST", f"/v1/courses/{live['id']}/enroll", token=learner.token))
    exam = _ok(
        invoke(
            "assessments",
            "POST",
            "/v1/exams",
            token=learner.token,
            body={"size": 1, "topic": topic, "mode": "practice"},
        )
    )
    share = _ok(
        invoke(
            "sharing",
            "POST",
            "/v1/shares",
            token=learner.token,
            body={"entity_type": "exam", "entity_id": exam["id"]},
        )
    )
    document = _document(learner)
    return World(
        live,
        live_module,
        live_lesson,
        draft,
        draft_lesson,
        question,
        exam,
        share,
        document,
        _session(learner),
        {"id": str(learner.id)},
        _ok(
            invoke(
                "assessments",
                "POST",
                f"/v1/courses/{live['id']}/quizzes",
                token=instructor.token,
                body={"title": "Q", "mode": "exam", "question_ids": [question["id"]]},
            )
        ),
        _ok(
            invoke(
                "documents",
                "POST",
                f"/v1/lessons/{live_lesson['id']}/resources",
                token=instructor.token,
                body={"document_id": _ready_document(instructor)},
            )
        ),
        {"id": _ready_document(instructor)},
        _ok(
            invoke(
                "study",
                "POST",
                "/v1/study/items",
                token=learner.token,
                body={"type": "flashcard", "front": "Mine?", "back": "Yes"},
            )
        ),
        _ok(invoke("ai", "POST", "/v1/ai/chats", token=learner.token, body={"title": "Mine"})),
    )


def _ready_document(owner: Account) -> str:
    """A document as ingest leaves it (ready), made straight through the ORM."""
    from lectern.db.engine import get_sessionmaker
    from lectern.documents.models import Document, DocumentStatus

    with get_sessionmaker()() as db:
        doc = Document(
            owner_id=owner.id,
            filename="handout.txt",
            content_type="text/plain",
            size_bytes=10,
            object_key=f"documents/{owner.id}/{uuid.uuid4()}",
            status=DocumentStatus.ready,
        )
        db.add(doc)
        db.commit()
        return str(doc.id)


def _session(owner: Account) -> dict[str, Any]:
    from lectern.identity import sessions

    issued = sessions.create_session(owner.id, owner.principal.role)  # type: ignore[attr-defined]
    return {"id": sessions.public_id(sessions.hash_token(issued.token))}


def _document(owner: Account) -> dict[str, Any]:
    notes = b"Cells are the units of life."
    document = _ok(
        invoke(
            "documents",
            "POST",
            "/v1/documents",
            token=owner.token,
            body={"filename": "notes.txt", "content_type": "text/plain", "size_bytes": len(notes)},
        )
    )
    upload = document["upload"]
    httpx.put(upload["url"], content=notes, headers=upload["headers"]).raise_for_status()
    _ok(
        invoke("documents", "POST", f"/v1/documents/{document['id']}/complete", token=owner.token),
        202,
    )
    return document


def _fingerprint(world: World, owner: Account, learner: Account) -> dict[str, Any]:
    """What the objects look like to their owners: nothing here may change on a refusal."""
    course = invoke("courses", "GET", f"/v1/courses/{world.live['id']}", token=owner.token)
    draft = invoke("courses", "GET", f"/v1/courses/{world.draft['id']}", token=owner.token)
    lesson = invoke("courses", "GET", f"/v1/lessons/{world.live_lesson['id']}", token=owner.token)
    question = invoke(
        "assessments", "GET", f"/v1/questions/{world.question['id']}", token=owner.token
    )
    exam = invoke("assessments", "GET", f"/v1/exams/{world.exam['id']}", token=learner.token)
    shares = invoke("sharing", "GET", "/v1/me/shares", token=learner.token)
    document = invoke(
        "documents", "GET", f"/v1/documents/{world.document['id']}", token=learner.token
    )
    own_sessions = invoke("users", "GET", "/v1/me/sessions", token=learner.token)
    enrollments = invoke("progress", "GET", "/v1/me/enrollments", token=learner.token)
    exams = invoke("assessments", "GET", "/v1/me/exams", token=learner.token)
    quizzes = invoke(
        "assessments", "GET", f"/v1/courses/{world.live['id']}/quizzes", token=owner.token
    )
    roster = invoke(
        "progress", "GET", f"/v1/courses/{world.live['id']}/enrollments", token=owner.token
    )
    resources = invoke(
        "documents", "GET", f"/v1/lessons/{world.live_lesson['id']}/resources", token=owner.token
    )
    study_item = invoke(
        "study", "GET", f"/v1/study/items/{world.study_item['id']}", token=learner.token
    )
    chat = invoke("ai", "GET", f"/v1/ai/chats/{world.chat['id']}", token=learner.token)
    return {
        "chat": (chat.status, chat.body),
        "study_item": (study_item.status, study_item.body),
        "resources": (resources.status, resources.body),
        "exams": (exams.status, exams.body),
        "quizzes": (quizzes.status, quizzes.body),
        "roster": (roster.status, roster.body),
        "enrollments": (enrollments.status, enrollments.body),
        "sessions": (own_sessions.status, own_sessions.body),
        "document": (document.status, document.body),
        "course": (course.status, course.body),
        "draft": (draft.status, draft.body),
        "lesson": (lesson.status, lesson.body),
        "question": (question.status, question.body),
        "exam": (exam.status, exam.body),
        "shares": (shares.status, shares.body),
    }


@dataclass(frozen=True)
class Case:
    function: str
    method: str
    path: str  # with {live}, {draft}, {exam} ... for the world's ids
    owner: str  # which actor owns the object
    owner_status: int
    admin_status: int
    body: dict[str, Any] | None = None
    # The other party with a right to it: the author reads a lesson their learner reads.
    shared_with_other_owner: bool = False


C, P, A, S, D, U = "courses", "progress", "assessments", "sharing", "documents", "users"
ST, AI = "study", "ai"
INS, LRN = "instructor", "learner"
CASES: dict[str, Case] = {
    "read draft course": Case(C, "GET", "/v1/courses/{draft}", INS, 200, 200),
    "update course": Case(C, "PATCH", "/v1/courses/{live}", INS, 200, 200, {"title": "New"}),
    "delete course": Case(C, "DELETE", "/v1/courses/{live}", INS, 204, 204),
    "publish draft": Case(C, "POST", "/v1/courses/{draft}/publish", INS, 200, 200),
    "unpublish course": Case(C, "POST", "/v1/courses/{live}/unpublish", INS, 200, 200),
    "add module": Case(C, "POST", "/v1/courses/{live}/modules", INS, 201, 201, {"title": "M"}),
    "update module": Case(C, "PATCH", "/v1/modules/{live_module}", INS, 200, 200, {"title": "N"}),
    "delete module": Case(C, "DELETE", "/v1/modules/{live_module}", INS, 204, 204),
    "add lesson": Case(
        C,
        "POST",
        "/v1/modules/{live_module}/lessons",
        INS,
        201,
        201,
        {"title": "L", "content": "x"},
    ),
    "read draft lesson": Case(C, "GET", "/v1/lessons/{draft_lesson}", INS, 200, 200),
    "read live lesson": Case(
        C, "GET", "/v1/lessons/{live_lesson}", LRN, 200, 200, shared_with_other_owner=True
    ),
    "update lesson": Case(C, "PATCH", "/v1/lessons/{live_lesson}", INS, 200, 200, {"title": "T"}),
    "delete lesson": Case(C, "DELETE", "/v1/lessons/{live_lesson}", INS, 204, 204),
    "enroll in draft": Case(P, "POST", "/v1/courses/{draft}/enroll", INS, 201, 201),
    # Leaving is for the enrolled learner: nobody else is enrolled in the learner's stead.
    "leave course": Case(P, "DELETE", "/v1/courses/{live}/enroll", LRN, 204, 404),
    "course roster": Case(P, "GET", "/v1/courses/{live}/enrollments", INS, 200, 200),
    "learner detail": Case(P, "GET", "/v1/courses/{live}/learners/{learner}", INS, 200, 200),
    "create quiz": Case(
        A,
        "POST",
        "/v1/courses/{live}/quizzes",
        INS,
        201,
        201,
        {"title": "Q2", "mode": "practice", "question_ids": ["{question}"]},
    ),
    # Quizzes are listed to the course's enrolled learners and to its owner.
    "list quizzes": Case(
        A, "GET", "/v1/courses/{live}/quizzes", LRN, 200, 200, shared_with_other_owner=True
    ),
    # Attempts are for enrolled learners: neither the owner nor an admin is enrolled.
    "attempt quiz": Case(A, "POST", "/v1/quizzes/{quiz}/attempts", LRN, 201, 403),
    # Completing is for enrolled learners: the admin is not enrolled.
    "complete lesson": Case(P, "POST", "/v1/lessons/{live_lesson}/complete", LRN, 200, 403),
    "read question": Case(A, "GET", "/v1/questions/{question}", INS, 200, 200),
    "update question": Case(A, "PATCH", "/v1/questions/{question}", INS, 200, 200, {"prompt": "?"}),
    "delete question": Case(A, "DELETE", "/v1/questions/{question}", INS, 204, 204),
    # Exams are their taker's alone, admins included.
    "read exam": Case(A, "GET", "/v1/exams/{exam}", LRN, 200, 404),
    "answer exam": Case(A, "POST", "/v1/exams/{exam}/answers", LRN, 201, 404, {"answer": True}),
    "pause exam": Case(A, "POST", "/v1/exams/{exam}/pause", LRN, 200, 404),
    "submit exam": Case(A, "POST", "/v1/exams/{exam}/submit", LRN, 200, 404),
    "share exam": Case(
        S, "POST", "/v1/shares", LRN, 201, 404, {"entity_type": "exam", "entity_id": "{exam}"}
    ),
    "share course": Case(
        S, "POST", "/v1/shares", INS, 201, 201, {"entity_type": "course", "entity_id": "{live}"}
    ),
    "revoke share": Case(S, "DELETE", "/v1/shares/{share}", LRN, 204, 404),
    # Documents are their uploader's alone, admins included.
    "read document": Case(D, "GET", "/v1/documents/{document}", LRN, 200, 404),
    "complete document": Case(D, "POST", "/v1/documents/{document}/complete", LRN, 202, 404),
    "download document": Case(D, "GET", "/v1/documents/{document}/download", LRN, 200, 404),
    "delete document": Case(D, "DELETE", "/v1/documents/{document}", LRN, 204, 404),
    # Only the owner attaches, and only their own document: the admin's reach stops there.
    "attach resource": Case(
        D,
        "POST",
        "/v1/lessons/{live_lesson}/resources",
        INS,
        201,
        404,
        {"document_id": "{spare_document}"},
    ),
    "list resources": Case(
        D, "GET", "/v1/lessons/{live_lesson}/resources", LRN, 200, 200, shared_with_other_owner=True
    ),
    "download resource": Case(
        D, "GET", "/v1/resources/{resource}/download", LRN, 200, 200, shared_with_other_owner=True
    ),
    "detach resource": Case(D, "DELETE", "/v1/resources/{resource}", INS, 204, 204),
    # A session is its holder's alone: anyone else's id is unknown to the caller.
    "end session": Case(U, "DELETE", "/v1/me/sessions/{session}", LRN, 204, 404),
    # Study items are their learner's alone, admins included.
    "read study item": Case(ST, "GET", "/v1/study/items/{study_item}", LRN, 200, 404),
    "update study item": Case(
        ST, "PATCH", "/v1/study/items/{study_item}", LRN, 200, 404, {"front": "Changed?"}
    ),
    "delete study item": Case(ST, "DELETE", "/v1/study/items/{study_item}", LRN, 204, 404),
    "review study item": Case(
        ST, "POST", "/v1/study/items/{study_item}/reviews", LRN, 201, 404, {"rating": "good"}
    ),
    # Chats are their learner's alone, admins included.
    "read chat": Case(AI, "GET", "/v1/ai/chats/{chat}", LRN, 200, 404),
    "delete chat": Case(AI, "DELETE", "/v1/ai/chats/{chat}", LRN, 204, 404),
    "send chat message": Case(
        AI, "POST", "/v1/ai/chats/{chat}/messages", LRN, 201, 404, {"content": "Mine?"}
    ),
}


OUTSIDERS = ("anonymous", "other_learner", "other_instructor")


def _body(case: Case, world: World) -> dict[str, Any] | None:
    if case.body == {"answer": True}:
        question = world.exam["questions"][0]
        return {"question_id": question["id"], "option_ids": [question["options"][0]["id"]]}
    if case.body is None:
        return None
    ids = role_matrix.world_ids(world)
    return {k: role_matrix.fill(v, ids) for k, v in case.body.items()}


def _call(case: Case, world: World, account: Account | None):
    return invoke(
        case.function,
        case.method,
        case.path.format(**role_matrix.world_ids(world)),
        token=account.token if account else None,
        body=_body(case, world),
    )


@pytest.mark.parametrize("name", CASES)
def test_outsiders_are_refused_and_change_nothing_then_the_owner_succeeds(name, actors):
    case = CASES[name]
    world = _world(actors)
    owner = actors[case.owner]
    assert owner is not None
    before = _fingerprint(world, actors["instructor"], actors["learner"])
    for outsider in OUTSIDERS:
        account = None if outsider == "anonymous" else actors[outsider]
        # An outsider is anyone but the case's owner: the course's instructor is an
        # outsider to a learner's exam, and the learner to the instructor's course.
        reply = _call(case, world, account)
        assert reply.status in REFUSED, (outsider, reply.status, reply.body)
        if outsider == "anonymous" and case.method != "GET":
            assert reply.status == 401  # the catalog is browsable; writes need a session
    other_owner = "learner" if case.owner == "instructor" else "instructor"
    reply = _call(case, world, actors[other_owner])
    if case.shared_with_other_owner:
        assert reply.status == case.owner_status, reply.body
    else:
        assert reply.status in REFUSED, (other_owner, reply.status, reply.body)
    assert _fingerprint(world, actors["instructor"], actors["learner"]) == before

    reply = _call(case, world, owner)
    assert reply.status == case.owner_status, reply.body


@pytest.mark.parametrize("name", CASES)
def test_admin(name, actors):
    case = CASES[name]
    world = _world(actors)
    before = _fingerprint(world, actors["instructor"], actors["learner"])
    reply = _call(case, world, actors["admin"])
    assert reply.status == case.admin_status, reply.body
    if case.admin_status in REFUSED:
        assert _fingerprint(world, actors["instructor"], actors["learner"]) == before


# Fields no client may set (last in each body), sent by the object's own owner to every
# write: each is a 422 naming the field, and nothing changes.
MASS_ASSIGNMENT: dict[str, tuple[str, str, str, str, dict[str, Any]]] = {
    "create course": (C, "POST", "/v1/courses", INS, {"title": "T", "owner_id": "{live}"}),
    "update course": (C, "PATCH", "/v1/courses/{live}", INS, {"published_at": "2020-01-01"}),
    "add module": (C, "POST", "/v1/courses/{live}/modules", INS, {"title": "M", "course_id": "x"}),
    "add lesson": (
        C,
        "POST",
        "/v1/modules/{live_module}/lessons",
        INS,
        {"title": "L", "content": "x", "course_id": "{draft}"},
    ),
    "update lesson": (C, "PATCH", "/v1/lessons/{live_lesson}", INS, {"module_id": "{draft}"}),
    "enroll": (P, "POST", "/v1/courses/{draft}/enroll", INS, {"progress": 1}),
    "complete": (P, "POST", "/v1/lessons/{live_lesson}/complete", LRN, {"xp_awarded": 1000}),
    "update question": (A, "PATCH", "/v1/questions/{question}", INS, {"owner_id": "{live}"}),
    "create exam": (A, "POST", "/v1/exams", LRN, {"size": 1, "mode": "exam", "score": 1}),
    "answer": (
        A,
        "POST",
        "/v1/exams/{exam}/answers",
        LRN,
        {"question_id": "{question}", "is_correct": True},
    ),
    "share": (
        S,
        "POST",
        "/v1/shares",
        LRN,
        {"entity_type": "exam", "entity_id": "{exam}", "token": "mine"},
    ),
    "create study item": (
        ST,
        "POST",
        "/v1/study/items",
        LRN,
        {"type": "flashcard", "front": "Q", "back": "A", "user_id": "{live}"},
    ),
    "review study item": (
        ST,
        "POST",
        "/v1/study/items/{study_item}/reviews",
        LRN,
        {"rating": "good", "stability": 100},
    ),
    "send chat message": (
        AI,
        "POST",
        "/v1/ai/chats/{chat}/messages",
        LRN,
        {"content": "Q?", "role": "assistant"},
    ),
    "upload document": (
        D,
        "POST",
        "/v1/documents",
        LRN,
        {"filename": "a.txt", "content_type": "text/plain", "size_bytes": 10, "owner_id": "{live}"},
    ),
}


@pytest.mark.parametrize("name", MASS_ASSIGNMENT)
def test_fields_a_client_may_not_set_are_refused_by_name(name, actors):
    function, method, path, owner, body = MASS_ASSIGNMENT[name]
    world = _world(actors)
    ids = role_matrix.world_ids(world)
    account = actors[owner]
    assert account is not None
    before = _fingerprint(world, actors["instructor"], actors["learner"])
    reply = invoke(
        function,
        method,
        path.format(**ids),
        token=account.token,
        body={k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()},
    )
    assert reply.status == 422, reply.body
    forbidden = list(body)[-1]  # each body ends with the field no client may set
    named = {error["field"] for error in reply.body["errors"]}
    assert forbidden in named, (forbidden, reply.body)
    assert _fingerprint(world, actors["instructor"], actors["learner"]) == before


# -- community: forums, live sessions ------------------------------------------------------
#
# Each route that takes an id, for each caller: the course's owner (the instructor), the
# enrolled learner (who wrote the learner's posts and requests), a learner not enrolled,
# another instructor, an admin and an anonymous caller, each with the status the contract
# gives them. The refusals (and 409s) run first, in one world, and change nothing; each
# caller who may act then acts in a world of its own.

ROLES = ("instructor", "learner", "other_learner", "other_instructor", "admin", "anonymous")
SOON = (datetime.now(UTC) + timedelta(days=7)).isoformat()
ACCEPT = {"status": "accepted", "scheduled_at": SOON, "meeting_url": "https://meet.example/m"}


@dataclass
class CommunityWorld:
    live: dict[str, Any]  # the instructor's published course, the learner enrolled
    thread: dict[str, Any]  # the learner's thread
    reply: dict[str, Any]  # the learner's reply in it
    owner_thread: dict[str, Any]  # the instructor's thread
    owner_reply: dict[str, Any]  # the instructor's reply in the learner's thread
    meeting: dict[str, Any]  # the learner's request for a live session, pending
    accepted_meeting: dict[str, Any]  # another, accepted by the instructor


def _community_world(actors: dict[str, Account | None]) -> CommunityWorld:
    instructor, learner = actors["instructor"], actors["learner"]
    assert instructor and learner
    live, _, _ = _course(instructor, publish=True)
    _ok(invoke("progress", "POST", f"/v1/courses/{live['id']}/enroll", token=learner.token))

    def thread(author: Account) -> dict[str, Any]:
        return _ok(
            invoke(
                "forums",
                "POST",
                f"/v1/courses/{live['id']}/threads",
                token=author.token,
                body={"title": "Matrix thread", "body": "body"},
            )
        )

    def reply(author: Account, thread_id: str) -> dict[str, Any]:
        return _ok(
            invoke(
                "forums",
                "POST",
                f"/v1/threads/{thread_id}/replies",
                token=author.token,
                body={"body": "reply"},
            )
        )

    def meeting() -> dict[str, Any]:
        return _ok(
            invoke(
                "meetings",
                "POST",
                f"/v1/courses/{live['id']}/meeting-requests",
                token=learner.token,
                body={"topic": "Help", "preferred_times": [SOON]},
            )
        )

    learners_thread = thread(learner)
    accepted = meeting()
    _ok(
        invoke(
            "meetings",
            "PATCH",
            f"/v1/meeting-requests/{accepted['id']}",
            token=instructor.token,
            body=ACCEPT,
        ),
        200,
    )
    return CommunityWorld(
        live=live,
        thread=learners_thread,
        reply=reply(learner, learners_thread["id"]),
        owner_thread=thread(instructor),
        owner_reply=reply(instructor, learners_thread["id"]),
        meeting=meeting(),
        accepted_meeting=accepted,
    )


def _community_fingerprint(world: CommunityWorld, actors: dict[str, Account | None]) -> Any:
    owner = actors["instructor"]
    assert owner is not None

    def read(function: str, path: str) -> tuple[int, Any]:
        reply = invoke(function, "GET", path, token=owner.token)
        return reply.status, reply.body

    return [
        read("forums", f"/v1/courses/{world.live['id']}/threads"),
        read("forums", f"/v1/threads/{world.thread['id']}"),
        read("forums", f"/v1/threads/{world.owner_thread['id']}"),
        read("forums", f"/v1/threads/{world.thread['id']}/replies"),
        read("forums", f"/v1/courses/{world.live['id']}/flags"),
        read("meetings", f"/v1/courses/{world.live['id']}/meeting-requests"),
    ]


FO, ME = "forums", "meetings"
MEMBERS_READ = (200, 200, 403, 403, 200, 401)
COMMUNITY: dict[str, RoleCase] = {
    "start thread": RoleCase(
        FO,
        "POST",
        "/v1/courses/{live}/threads",
        (201, 201, 403, 403, 201, 401),
        {"title": "T", "body": "b"},
    ),
    "list threads": RoleCase(FO, "GET", "/v1/courses/{live}/threads", MEMBERS_READ),
    "list flags": RoleCase(FO, "GET", "/v1/courses/{live}/flags", (200, 403, 403, 403, 200, 401)),
    "read thread": RoleCase(FO, "GET", "/v1/threads/{thread}", MEMBERS_READ),
    "edit thread": RoleCase(
        FO, "PATCH", "/v1/threads/{thread}", (403, 200, 403, 403, 403, 401), {"title": "New"}
    ),
    "pin thread": RoleCase(
        FO, "PATCH", "/v1/threads/{thread}", (200, 403, 403, 403, 200, 401), {"pinned": True}
    ),
    "delete thread": RoleCase(FO, "DELETE", "/v1/threads/{thread}", (204, 204, 403, 403, 204, 401)),
    "reply": RoleCase(
        FO, "POST", "/v1/threads/{thread}/replies", (201, 201, 403, 403, 201, 401), {"body": "r"}
    ),
    "list replies": RoleCase(FO, "GET", "/v1/threads/{thread}/replies", MEMBERS_READ),
    # The instructor's own post: a vote on it is theirs to refuse (409).
    "vote thread": RoleCase(
        FO, "PUT", "/v1/threads/{owner_thread}/vote", (409, 200, 403, 403, 200, 401), {"value": 1}
    ),
    "vote reply": RoleCase(
        FO, "PUT", "/v1/replies/{owner_reply}/vote", (409, 200, 403, 403, 200, 401), {"value": -1}
    ),
    "delete reply": RoleCase(FO, "DELETE", "/v1/replies/{reply}", (204, 204, 403, 403, 204, 401)),
    "endorse reply": RoleCase(
        FO, "POST", "/v1/replies/{reply}/endorse", (200, 403, 403, 403, 200, 401)
    ),
    "unendorse reply": RoleCase(
        FO, "DELETE", "/v1/replies/{reply}/endorse", (200, 403, 403, 403, 200, 401)
    ),
    "flag thread": RoleCase(
        FO, "POST", "/v1/threads/{thread}/flag", (202, 202, 403, 403, 202, 401), {"reason": "x"}
    ),
    "flag reply": RoleCase(
        FO, "POST", "/v1/replies/{reply}/flag", (202, 202, 403, 403, 202, 401), {"reason": "x"}
    ),
    "follow thread": RoleCase(
        FO, "PUT", "/v1/threads/{thread}/follow", (204, 204, 403, 403, 204, 401)
    ),
    "unfollow thread": RoleCase(
        FO, "DELETE", "/v1/threads/{thread}/follow", (204, 204, 403, 403, 204, 401)
    ),
    # Live sessions: an enrolled learner asks, the owner (or an admin) decides, the learner
    # cancels; to anyone else a request does not exist.
    "ask for a session": RoleCase(
        ME,
        "POST",
        "/v1/courses/{live}/meeting-requests",
        (403, 201, 403, 403, 403, 401),
        {"topic": "T", "preferred_times": [SOON]},
    ),
    "course's session requests": RoleCase(
        ME, "GET", "/v1/courses/{live}/meeting-requests", (200, 403, 403, 403, 200, 401)
    ),
    "accept session": RoleCase(
        ME, "PATCH", "/v1/meeting-requests/{meeting}", (200, 403, 404, 404, 200, 401), ACCEPT
    ),
    "decline session": RoleCase(
        ME,
        "PATCH",
        "/v1/meeting-requests/{meeting}",
        (200, 403, 404, 404, 200, 401),
        {"status": "declined"},
    ),
    "cancel session": RoleCase(
        ME,
        "PATCH",
        "/v1/meeting-requests/{meeting}",
        (403, 200, 404, 404, 403, 401),
        {"status": "cancelled"},
    ),
    "session calendar": RoleCase(
        ME,
        "GET",
        "/v1/meeting-requests/{accepted_meeting}/calendar.ics",
        (200, 200, 404, 404, 200, 401),
    ),
}


@pytest.mark.parametrize("name", COMMUNITY)
def test_community_routes_answer_each_caller_as_the_contract_says(name, actors):
    role_matrix.check(
        COMMUNITY[name],
        ROLES,
        actors,
        lambda: _community_world(actors),
        lambda world: _community_fingerprint(world, actors),
    )
