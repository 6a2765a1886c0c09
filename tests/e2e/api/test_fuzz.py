"""Property-based: schemathesis over the exported spec (local/openapi.json), against the
all-routes app in-process, as a learner, an instructor and an admin, with real sessions.
No operation may answer 5xx, whatever it is sent, nor a status its spec does not declare.

Each operation gets a fresh world, which its three roles share (the GETs share one): the
three accounts, a published course with a module and lessons the learner is enrolled in and
has completed (so a certificate), a draft course, a question bank, the learner's exam,
share links and a document each (the learner's uploaded). Ids in paths and bodies are
real ones about half the time, so the fuzzer reaches past the 404s.

``make test`` runs a few examples per operation, derandomized so CI is reproducible;
``make fuzz`` runs many more with fresh seeds (LECTERN_FUZZ_EXAMPLES, LECTERN_FUZZ_SEED).
"""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from local.openapi import SPEC_PATH
from local.stack import LocalStack
from tests.conftest import environment
from tests.factories import Account, new_account

EXAMPLES = int(os.environ.get("LECTERN_FUZZ_EXAMPLES", "5"))
# Unset, the run is derandomized (make test); "random" (make fuzz) picks a seed, which a
# failure names so that LECTERN_FUZZ_SEED=<it> replays the run.
_SEED_SETTING = os.environ.get("LECTERN_FUZZ_SEED")
SEED: int | None = (
    None
    if _SEED_SETTING is None
    else random.SystemRandom().getrandbits(64)
    if _SEED_SETTING == "random"
    else int(_SEED_SETTING)
)

ROLES = ("learner", "instructor", "admin")

# The throttles answer 429 by design; the fuzzer should reach the work behind them.
_FUZZ_LIMITS = {
    "LECTERN_AI_REQUESTS_PER_MINUTE": "1000000",
    "LECTERN_AI_MONTHLY_REQUESTS": '{"free": 1000000, "pro": 1000000}',
    "LECTERN_ANALYTICS_EVENT_BATCHES_PER_MINUTE": "1000000",
    "LECTERN_MAGIC_LINKS_PER_EMAIL": "1000000",
    "LECTERN_VERIFICATION_MAILS_PER_USER": "1000000",
    "LECTERN_LOGIN_FAILURES_PER_ACCOUNT_IP": "1000000",
    "LECTERN_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
    "LECTERN_PASSWORD_RESETS_PER_EMAIL": "1000000",
    "LECTERN_PASSWORD_RESETS_PER_IP": "1000000",
    "LECTERN_FORUM_POSTS_PER_HOUR": "1000000",
    "LECTERN_FORUM_FLAGS_PER_HOUR": "1000000",
}


def _config() -> schemathesis.Config:
    # The role's session is sent with every case; generated credentials would replace it.
    generation: dict[str, Any] = {
        "max-examples": EXAMPLES,
        "database": "none",
        "with-security-parameters": False,
    }
    data: dict[str, Any] = {
        "phases": {
            "examples": {"enabled": False},
            # Undeclared methods never reach a function: API Gateway answers them itself.
            "coverage": {"enabled": True, "unexpected-methods": []},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": generation,
        "checks": {
            # status_code_conformance stays on: every status answered is one the spec
            # declares, so a generated client parses refusals too.
            "content_type_conformance": {"enabled": False},
            "positive_data_acceptance": {"enabled": False},
            "unsupported_method": {"enabled": False},
            "allow_header_conformance": {"enabled": False},
        },
    }
    if SEED is None:
        generation["deterministic"] = True
    else:
        data["seed"] = SEED
    return schemathesis.Config.from_dict(data)


def _app() -> Any:
    from lectern.api.app import create_app
    from local.devapp import all_routers

    return create_app(*all_routers(), title="Lectern API")


# The exported spec, not the app's own: it is the contract frontends are given.
schema = schemathesis.openapi.from_path(SPEC_PATH, config=_config())
schema.app = _app()


@dataclass
class World:
    """What an operation's runs find: accounts and rows their ids may hit; ``role`` is
    whose session the run at hand sends."""

    accounts: dict[str, Account]
    ids: dict[str, list[str]] = field(default_factory=dict)
    role: str = ""

    def pick(self, kind: str, index: int) -> str:
        choices = self.ids.get(kind) or [str(uuid.uuid4())]
        return choices[index % len(choices)]


_current: list[World] = []


def _id_kind(path: str) -> str | None:
    """Which rows a path's parameter names, from its first segment."""
    segment = path.split("/")[2]
    return {
        "courses": "course",
        "modules": "module",
        "lessons": "lesson",
        "questions": "question",
        "exams": "exam",
        "documents": "document",
        "shares": "share",
        "shared": "share_token",
        "certificates": "certificate",
        "admin": "user",
        "quizzes": "quiz",
        "study": "study_item",
        "ai": "chat",
        "teams": "team",
    }.get(segment)


# A parameter named for its rows wherever it is; "id", "code" and "token" are the path's.
_PARAMETER_KINDS = {"user_id": "user"}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _swappable(name: str, value: Any) -> bool:
    # Only a value that is already valid is swapped for a real one: a negative case's bad
    # id must reach the app as generated, or it would look accepted.
    return _is_uuid(value) if name.endswith("id") else isinstance(value, str) and value != ""


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
    operation = context.operation
    path_kind = _id_kind(operation.path) if operation is not None else None
    kinds = {
        name: _PARAMETER_KINDS.get(name, path_kind)
        for name, value in (path_parameters or {}).items()
        if name in ("id", "code", "token", *_PARAMETER_KINDS) and _swappable(name, value)
    }
    kinds = {name: kind for name, kind in kinds.items() if kind is not None}
    if not kinds:
        return st.just(path_parameters)

    def real(index: int) -> dict[str, Any]:
        world = _current[-1]
        return {**path_parameters, **{n: world.pick(k, index) for n, k in kinds.items()}}

    return st.one_of(st.just(path_parameters), st.integers(0, 15).map(real))


_BODY_IDS = {"course_id": "course", "entity_id": "course", "question_id": "question"}


def _swappable_body(key: str, value: Any) -> bool:
    if key == "option_ids":
        return isinstance(value, list) and value != [] and all(_is_uuid(v) for v in value)
    return key in _BODY_IDS and _is_uuid(value)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    keys = [k for k, v in body.items() if _swappable_body(k, v)] if isinstance(body, dict) else []
    if not keys:
        return st.just(body)

    def real(index: int) -> dict[str, Any]:
        world = _current[-1]
        swapped = {
            k: [world.pick("option", index + i) for i in range(len(body[k]))]
            if k == "option_ids"
            else world.pick(_BODY_IDS[k], index)
            for k in keys
        }
        return {**body, **swapped}

    return st.one_of(st.just(body), st.integers(0, 15).map(real))


# (operation, role, status) -> responses, written out when LECTERN_FUZZ_REPORT names a file.
_statuses: Counter[tuple[str, str, int]] = Counter()


@schema.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case, response: Any) -> None:
    if _current:
        _statuses[(case.operation.label, _current[-1].role, response.status_code)] += 1


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    path = os.environ.get("LECTERN_FUZZ_REPORT")
    if path:
        rows = sorted(_statuses.items())
        lines = [f"{op}\t{role}\t{status}\t{n}" for (op, role, status), n in rows]
        Path(path).write_text("\n".join(lines) + "\n")


@schema.auth(refresh_interval=None)
class RoleSession:
    """The role's real session, as schemathesis auth: the ignored-auth check knows it is
    explicit, takes it off and probes again without it and with a bad one."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str | None:
        if not _current:  # collecting: no world yet
            return None
        world = _current[-1]
        return world.accounts[world.role].token

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def app(stack: LocalStack) -> Iterator[Any]:
    with environment(_FUZZ_LIMITS):
        yield schema.app


_NOTES = b"# Notes\n\nMitochondria make ATP.\n"
# Every document the worlds made: their queue messages are taken off at the end.
_documents: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _leave_the_queue_as_found(stack: LocalStack) -> Iterator[None]:
    """The upload notifications and completions of the fuzz documents come off the ingest
    queue the ingest tests share (nothing here runs the worker)."""
    yield
    sqs = stack.aws_client("sqs")
    url = stack.env["LECTERN_INGEST_QUEUE_URL"]
    others: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages", []):
        for message in messages:
            if any(doc in message["Body"] for doc in _documents):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for handle in others:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)


@pytest.fixture(scope="module", autouse=True)
def _leave_the_outbox_as_found(stack: LocalStack) -> Iterator[None]:
    """The hundreds of courses, lessons and questions made here leave outbox rows; later
    tests that drain the outbox look for their own rows among a batch, so these go."""
    from sqlalchemy import text

    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        before = db.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))
    yield
    with get_sessionmaker()() as db:
        db.execute(text("DELETE FROM outbox WHERE id > :before"), {"before": before})
        db.commit()


# Every account the worlds made: they leave the leaderboards at the end.
_accounts: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _leave_the_boards_as_found(stack: LocalStack) -> Iterator[None]:
    """The fuzz learners earn XP; later tests rebuild boards from changed profiles and rank
    exactly, so these accounts are hidden (a change the next refresh takes off)."""
    from sqlalchemy import text

    from lectern.db.engine import get_sessionmaker

    yield
    if not _accounts:
        return
    with get_sessionmaker()() as db:
        db.execute(
            text(
                "UPDATE profiles SET leaderboard_visible = false, updated_at = now() "
                "WHERE user_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": sorted(_accounts)},
        )
        db.commit()


def _ok(reply: Any, status: int = 201) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json() if reply.content else None


@pytest.fixture(scope="module")
def seeder(app: Any) -> Iterator[TestClient]:
    # Entered once: one event loop thread for all the seeding, not one per request.
    with TestClient(app) as client:
        yield client


def _seed(client: TestClient) -> World:
    accounts = {
        "learner": new_account("student", name="Fuzz Learner"),
        "instructor": new_account("instructor", name="Fuzz Instructor"),
        "admin": new_account("admin", name="Fuzz Admin"),
    }

    def call(who: str, method: str, path: str, body: Any = None, status: int = 201) -> Any:
        headers = {"authorization": f"Bearer {accounts[who].token}"}
        return _ok(client.request(method, path, json=body, headers=headers), status)

    course = call("instructor", "POST", "/v1/courses", {"title": "Cells", "category": "bio"})
    draft = call("instructor", "POST", "/v1/courses", {"title": "Draft", "tags": ["x"]})
    module = call("instructor", "POST", f"/v1/courses/{course['id']}/modules", {"title": "M"})
    lessons = [
        call(
            "instructor",
            "POST",
            f"/v1/modules/{module['id']}/lessons",
            {"title": f"L{i}", "content": "# Cells\n\nMitochondria make ATP."},
        )
        for i in range(2)
    ]
    call("instructor", "POST", f"/v1/courses/{course['id']}/publish", status=200)
    topic = f"fuzz-{uuid.uuid4().hex[:8]}"
    questions = call(
        "instructor",
        "POST",
        "/v1/questions/bulk",
        {
            "questions": [
                {
                    "prompt": f"Question {i}?",
                    "type": "single_choice",
                    "difficulty": "easy",
                    "topic": topic,
                    "course_id": course["id"],
                    "options": [
                        {"text": "Yes", "is_correct": True},
                        {"text": "No", "is_correct": False},
                    ],
                }
                for i in range(3)
            ]
        },
    )
    call("learner", "POST", f"/v1/courses/{course['id']}/enroll")
    done = [call("learner", "POST", f"/v1/lessons/{x['id']}/complete", status=200) for x in lessons]
    exam = call("learner", "POST", "/v1/exams", {"size": 2, "mode": "practice", "topic": topic})
    course_share = call(
        "instructor", "POST", "/v1/shares", {"entity_type": "course", "entity_id": course["id"]}
    )
    exam_share = call(
        "learner", "POST", "/v1/shares", {"entity_type": "exam", "entity_id": exam["id"]}
    )
    documents = [
        call(
            who,
            "POST",
            "/v1/documents",
            {"filename": "n.md", "content_type": "text/markdown", "size_bytes": len(_NOTES)},
        )
        for who in ROLES
    ]
    quiz = call(
        "instructor",
        "POST",
        f"/v1/courses/{course['id']}/quizzes",
        {"title": "Quiz", "mode": "practice", "question_ids": questions["ids"][:2]},
    )
    card = call(
        "learner", "POST", "/v1/study/items", {"type": "flashcard", "front": "ATP?", "back": "Yes"}
    )
    chat = call("learner", "POST", "/v1/ai/chats", {"course_id": course["id"]})
    # The learner's team, following the live course; the admin reads it, the instructor
    # is outside it.
    team = call("learner", "POST", "/v1/teams", {"name": "Fuzz team"})
    call(
        "learner",
        "PATCH",
        f"/v1/teams/{team['id']}",
        {"settings": {"assigned_course_ids": [course["id"]]}},
        status=200,
    )
    # The learner's is uploaded, so completing and downloading it can succeed.
    upload = documents[0]["upload"]
    assert httpx.put(upload["url"], content=_NOTES, headers=upload["headers"]).is_success
    _documents.update(d["id"] for d in documents)
    _accounts.update(str(a.id) for a in accounts.values())
    return World(
        accounts=accounts,
        ids={
            "course": [course["id"], draft["id"]],
            "module": [module["id"]],
            "lesson": [x["id"] for x in lessons],
            # The exam's own questions first: answers name them.
            "question": [q["id"] for q in exam["questions"]] + questions["ids"],
            "option": [o["id"] for q in exam["questions"] for o in q["options"]],
            "exam": [exam["id"]],
            "document": [d["id"] for d in documents],
            "share": [course_share["id"], exam_share["id"]],
            "share_token": [course_share["token"], exam_share["token"]],
            "certificate": [done[-1]["certificate"]["code"]],
            "user": [str(a.id) for a in accounts.values()],
            "quiz": [quiz["id"]],
            "study_item": [card["id"]],
            "chat": [chat["id"]],
            "team": [team["id"]],
        },
    )


# The GETs' world, and the operation at hand's.
_worlds: dict[str, World] = {}


@pytest.fixture
def world(seeder: TestClient, role: str, request: pytest.FixtureRequest) -> Iterator[World]:
    # Seeding is most of the run's time. A GET changes nothing, so all GETs share one
    # world; any other operation gets a fresh one, which its three roles share, in the
    # order learner, instructor, admin (the admin's run finds what the instructor's left).
    label = str(getattr(request.node, "operation_label", ""))
    key = "GET" if label.startswith("GET ") else label
    if key not in _worlds:
        for stale in [k for k in _worlds if k != "GET"]:
            del _worlds[stale]
        _worlds[key] = _seed(seeder)
    made = replace(_worlds[key], role=role)
    _current.append(made)
    yield made
    _current.remove(made)


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
# The world fixture is one per (operation, role) on purpose: its examples share it.
@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ]
)
def test_no_server_errors(case: schemathesis.Case, role: str, app: Any, world: World) -> None:
    # The coverage phase's cases are made at collection, before any world (and shared by
    # the roles): each gets this role's session here.
    schema.auth.set(case, schemathesis.AuthContext(operation=case.operation, app=app))
    try:
        case.call_and_validate()
    except BaseException as exc:
        exc.add_note(f"LECTERN_FUZZ_SEED={SEED}" if SEED is not None else "derandomized run")
        raise
