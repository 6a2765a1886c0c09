"""The all-routes local app over real HTTP (uvicorn on 127.0.0.1), as `make dev` serves it."""

import httpx
import pytest

from local.stack import LocalStack
from tests.conftest import unique_email


def test_magic_link_through_the_local_mailbox(base_url: str):
    email = unique_email()
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.post("/v1/auth/magic-link", json={"email": email}).status_code == 202
        mails = http.get("/_local/mail", params={"to": email}).json()
        assert len(mails) == 1 and mails[0]["to"] == email
        assert {"to", "subject", "text", "sent_at", "headers"} == set(mails[0])
        token = mails[0]["text"].split("token=", 1)[1].split()[0]
        verified = http.post("/v1/auth/magic-link/verify", json={"token": token})
        assert verified.status_code == 200
        session = verified.json()["session"]["token"]
        me = http.get("/v1/me", headers={"authorization": f"Bearer {session}"})
        assert me.status_code == 200 and me.json()["email"] == email


def test_mailbox_lists_newest_first(base_url: str):
    email = unique_email()
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for _ in range(2):
            http.post("/v1/auth/magic-link", json={"email": email})
        mails = http.get("/_local/mail", params={"to": email}).json()
    assert len(mails) == 2
    assert mails[0]["sent_at"] >= mails[1]["sent_at"]
    assert mails[0]["text"] != mails[1]["text"]


def test_every_route_is_served_and_documented(base_url: str):
    with httpx.Client(base_url=base_url, timeout=10) as http:
        spec = http.get("/openapi.json").json()
        assert http.get("/docs").status_code == 200
        assert http.get("/v1/health").json()["status"] == "ok"
    for path in (
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/me",
        "/v1/admin/users/{id}",
        "/v1/health",
    ):
        assert path in spec["paths"], path


def test_demo_accounts_can_sign_in_after_seeding(base_url: str, stack: LocalStack):
    from lectern.db.engine import get_sessionmaker
    from local.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed

    with get_sessionmaker()() as db:
        seed(db)
        assert seed(db) == []  # seeding twice creates nothing more
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for email, _name, role in DEMO_ACCOUNTS:
            reply = http.post("/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
            assert reply.status_code == 200, reply.text
            assert reply.json()["user"]["role"] == role.value


def test_demo_course_and_question_bank_are_usable_after_seeding(base_url: str, stack: LocalStack):
    from lectern.db.engine import get_sessionmaker
    from local.seed import DEMO_COURSE, DEMO_QUESTIONS, seed
    from tests.factories import new_account

    with get_sessionmaker()() as db:
        seed(db)
    learner = new_account()
    auth = {"authorization": f"Bearer {learner.token}"}
    with httpx.Client(base_url=base_url, timeout=10, headers=auth) as http:
        listing = http.get("/v1/courses", params={"category": "biology"}).json()
        course = next(c for c in listing["items"] if c["title"] == DEMO_COURSE)
        assert http.post(f"/v1/courses/{course['id']}/enroll").status_code == 201
        outline = http.get(f"/v1/courses/{course['id']}").json()
        lesson_id = outline["modules"][0]["lessons"][0]["id"]
        done = http.post(f"/v1/lessons/{lesson_id}/complete")
        assert done.status_code == 200 and done.json()["xp_awarded"] > 0
        exam = http.post("/v1/exams", json={"size": 5, "subject": "biology", "mode": "practice"})
        assert exam.status_code == 201, exam.text
        assert len({q["id"] for q in exam.json()["questions"]}) == min(5, len(DEMO_QUESTIONS))


def test_the_demo_team_is_on_the_pro_plan_after_seeding(base_url: str, stack: LocalStack):
    from lectern.db.engine import get_sessionmaker
    from local.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TEAM, seed

    with get_sessionmaker()() as db:
        seed(db)
    with httpx.Client(base_url=base_url, timeout=10) as http:
        login = http.post(
            "/v1/auth/login", json={"email": DEMO_ACCOUNTS[1][0], "password": DEMO_PASSWORD}
        )
        auth = {"authorization": f"Bearer {login.json()['session']['token']}"}
        teams = http.get("/v1/me/teams", headers=auth).json()["items"]
        [team] = [t for t in teams if t["name"] == DEMO_TEAM]
        assert (team["my_role"], team["plan"], team["seats"], team["member_count"]) == (
            "owner",
            "pro",
            25,
            2,
        )
        assert len(team["settings"]["assigned_course_ids"]) == 1
        mine = http.get("/v1/me/subscription", headers=auth).json()
        assert (mine["plan"], mine["source"]) == ("pro", "team")


def test_the_local_app_runs_the_schedule_on_demand(base_url: str):
    with httpx.Client(base_url=base_url, timeout=60) as http:
        reply = http.post("/_local/aggregate")
    assert reply.status_code == 200, reply.text
    summary = reply.json()
    assert {"partitions", "retention", "rollups", "leaderboards"} <= set(summary["tasks"])
    assert all(t["status"] in {"ok", "busy"} for t in summary["tasks"].values()), summary


def test_local_billing_sample_posts_a_signed_delivery_to_the_local_app(
    base_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from local import billing
    from tests.factories import new_account

    learner = new_account()
    argv = ["local.billing", "sample", "subscription.active", "--user", learner.user.email]
    monkeypatch.setattr("sys.argv", [*argv, "--url", base_url])
    billing.main()
    assert capsys.readouterr().out.startswith("202 ")
    auth = {"authorization": f"Bearer {learner.token}"}
    with httpx.Client(base_url=base_url, timeout=10, headers=auth) as http:
        mine = http.get("/v1/me/subscription").json()
    assert (mine["plan"], mine["source"], mine["status"]) == ("pro", "individual", "active")


def test_demo_challenge_and_badges_are_earned_by_finishing_the_demo_course(
    base_url: str, stack: LocalStack
):
    from lectern.db.engine import get_sessionmaker
    from local.seed import DEMO_CHALLENGE, DEMO_COURSE, seed
    from tests.factories import new_account

    with get_sessionmaker()() as db:
        seed(db)
    learner = new_account()
    auth = {"authorization": f"Bearer {learner.token}"}
    with httpx.Client(base_url=base_url, timeout=10, headers=auth) as http:
        active = http.get("/v1/challenges", params={"status": "active", "limit": 100}).json()
        challenge = next(c for c in active["items"] if c["title"] == DEMO_CHALLENGE)
        assert http.post(f"/v1/challenges/{challenge['id']}/join").status_code == 201
        listing = http.get("/v1/courses", params={"category": "biology"}).json()
        course = next(c for c in listing["items"] if c["title"] == DEMO_COURSE)
        assert http.post(f"/v1/courses/{course['id']}/enroll").status_code == 201
        outline = http.get(f"/v1/courses/{course['id']}").json()
        for module in outline["modules"]:
            for lesson in module["lessons"]:
                assert http.post(f"/v1/lessons/{lesson['id']}/complete").status_code == 200
        board = http.get(f"/v1/challenges/{challenge['id']}/leaderboard").json()
        assert board["me"]["score"] == challenge["target"] and board["me"]["completed_at"]
        earned = {b["badge"]["name"] for b in http.get("/v1/me/badges").json()["items"]}
        assert {"Cell sprinter", "Cell biologist"} <= earned
