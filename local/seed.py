"""Demo data for the local stack: an admin, an instructor, a published course, a
question bank to draw exams from, a team with a subscription, a month-long challenge on
the course and badges for it (see README). Made through the services, so it obeys the
same rules as data made through the API."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lectern.catalog.models import Course
from lectern.core.principal import Principal, UserRole
from lectern.identity.models import User
from lectern.identity.service import create_account
from lectern.teams.models import Team

DEMO_PASSWORD = "lectern-demo-pass"  # noqa: S105 - printed at start-up; local stack only
DEMO_ACCOUNTS = (
    ("admin@lectern.local", "Ada Admin", UserRole.admin),
    ("instructor@lectern.local", "Ian Instructor", UserRole.instructor),
)
DEMO_COURSE = "How cells work"
DEMO_TEAM = "Cell biology study group"
# The team's subscription, as Polar's sample delivery sets it (local.billing).
DEMO_SUBSCRIPTION = "sub_demo_team"
DEMO_MODULES = (
    (
        "The cell",
        (
            (
                "Membranes",
                "# Membranes\n\nA lipid bilayer keeps the inside in and lets"
                " proteins decide what crosses.",
            ),
            (
                "Organelles",
                "# Organelles\n\nMitochondria make ATP; ribosomes make proteins;"
                " the nucleus keeps the DNA.",
            ),
        ),
    ),
    (
        "Energy",
        (
            (
                "Glycolysis",
                "# Glycolysis\n\nGlucose becomes two pyruvate in the cytosol, netting two ATP.",
            ),
            (
                "Respiration",
                "# Respiration\n\nThe electron transport chain makes most of"
                " the cell's ATP, using oxygen.",
            ),
        ),
    ),
)
# (topic, difficulty, prompt, [(option, correct)], explanation)
DEMO_QUESTIONS: tuple[tuple[str, str, str, list[tuple[str, bool]], str], ...] = (
    (
        "cells",
        "easy",
        "Which organelle makes most of a cell's ATP?",
        [("Mitochondrion", True), ("Ribosome", False), ("Golgi body", False)],
        "Oxidative phosphorylation happens in the mitochondria.",
    ),
    (
        "cells",
        "easy",
        "Ribosomes make proteins.",
        [("True", True), ("False", False)],
        "Ribosomes translate mRNA into protein.",
    ),
    (
        "cells",
        "medium",
        "What is the cell membrane mostly made of?",
        [("A lipid bilayer", True), ("Cellulose", False), ("Keratin", False)],
        "Phospholipids form a bilayer; proteins sit in it.",
    ),
    (
        "cells",
        "hard",
        "Which organelles hold their own DNA?",
        [("Mitochondria", True), ("Chloroplasts", True), ("Lysosomes", False)],
        "Both descend from bacteria that were engulfed long ago.",
    ),
    (
        "metabolism",
        "easy",
        "Where does glycolysis happen?",
        [("Cytosol", True), ("Nucleus", False), ("Mitochondrial matrix", False)],
        "Glycolysis needs no organelle.",
    ),
    (
        "metabolism",
        "medium",
        "Net ATP from glycolysis of one glucose?",
        [("2", True), ("4", False), ("36", False)],
        "Four are made but two are spent.",
    ),
    (
        "metabolism",
        "medium",
        "Oxygen is the final electron acceptor in respiration.",
        [("True", True), ("False", False)],
        "It is reduced to water.",
    ),
    (
        "metabolism",
        "hard",
        "Which step releases CO2?",
        [("Pyruvate oxidation", True), ("Krebs cycle", True), ("Glycolysis", False)],
        "Glycolysis releases none.",
    ),
    (
        "genetics",
        "easy",
        "DNA is made of nucleotides.",
        [("True", True), ("False", False)],
        "Each has a sugar, a phosphate and a base.",
    ),
    (
        "genetics",
        "medium",
        "Which base pairs with adenine in DNA?",
        [("Thymine", True), ("Uracil", False), ("Cytosine", False)],
        "Uracil replaces it in RNA.",
    ),
    (
        "genetics",
        "hard",
        "What enzyme unwinds the double helix?",
        [("Helicase", True), ("Ligase", False), ("Primase", False)],
        "Helicase breaks the hydrogen bonds between bases.",
    ),
    (
        "genetics",
        "medium",
        "Name the molecule that carries amino acids to the ribosome.",
        [("tRNA", True), ("transfer RNA", True)],
        "Transfer RNA reads codons with its anticodon.",
    ),
)


def _seed_course(db: Session, instructor: Principal) -> None:
    from lectern.assessment.questions import create_questions
    from lectern.assessment.schemas import QuestionIn, QuestionOptionIn
    from lectern.catalog import service as catalog
    from lectern.catalog.schemas import CourseIn, LessonIn, ModuleIn

    course = catalog.create_course(
        db,
        instructor,
        CourseIn(
            title=DEMO_COURSE,
            description="A short tour of the cell and how it gets its energy.",
            category="biology",
            tags=["cells", "starter"],
        ),
    )
    for title, lessons in DEMO_MODULES:
        module = catalog.create_module(db, instructor, course.id, ModuleIn(title=title))
        for lesson_title, content in lessons:
            catalog.create_lesson(
                db,
                instructor,
                module.id,
                LessonIn(title=lesson_title, content=content, duration_minutes=5),
            )
    catalog.publish_course(db, instructor, course.id)
    items = []
    for topic, difficulty, prompt, options, explanation in DEMO_QUESTIONS:
        correct = sum(ok for _, ok in options)
        kind = (
            "true_false"
            if [t for t, _ in options] == ["True", "False"]
            else "short_answer"
            if correct == len(options)
            else "multiple_choice"
            if correct > 1
            else "single_choice"
        )
        items.append(
            QuestionIn.model_validate(
                {
                    "prompt": prompt,
                    "type": kind,
                    "difficulty": difficulty,
                    "topic": topic,
                    "subject": "biology",
                    "options": [QuestionOptionIn(text=t, is_correct=ok) for t, ok in options],
                    "explanation": explanation,
                }
            )
        )
    create_questions(db, instructor, items)


def _seed_team(db: Session, instructor: Principal, admin_id: object) -> None:
    """The instructor's team (the admin an admin of it), following the demo course, on
    the pro plan through a signed sample delivery, as Polar's would arrive."""
    import uuid

    from lectern.billing.service import handle_polar
    from lectern.teams.models import TeamMember
    from lectern.teams.schemas import TeamIn, TeamSettingsIn, TeamUpdateIn
    from lectern.teams.service import create_team, update_team
    from local.billing import signed, subscription_event

    team = create_team(
        db, instructor, TeamIn(name=DEMO_TEAM, description="Everyone taking the demo course.")
    )
    db.add(TeamMember(team_id=team.id, user_id=admin_id, role="admin"))
    db.commit()
    course_id = db.scalar(
        select(Course.id).where(Course.owner_id == instructor.user_id, Course.title == DEMO_COURSE)
    )
    if course_id is not None:
        update_team(
            db,
            instructor,
            team.id,
            TeamUpdateIn(settings=TeamSettingsIn(assigned_course_ids=[course_id])),
        )
    payload = subscription_event(
        "subscription.active",
        subscription_id=DEMO_SUBSCRIPTION,
        user_id=instructor.user_id,
        team_id=team.id,
        seats=25,
    )
    body, headers = signed(payload, webhook_id=f"msg_seed_{uuid.uuid4().hex}")
    handle_polar(db, body, headers)


DEMO_CHALLENGE = "Cell sprint"


def _seed_challenge_and_badges(db: Session, instructor: Principal) -> None:
    """A challenge running for 30 days from the first start, with its own badge, and
    badges for finishing the course, a 3-day streak and 100 XP."""
    from datetime import UTC, datetime, timedelta

    from lectern.badges import service as badges
    from lectern.badges.schemas import BadgeIn
    from lectern.challenges import service as challenges
    from lectern.challenges.schemas import ChallengeIn

    course_id = db.scalar(
        select(Course.id).where(Course.owner_id == instructor.user_id, Course.title == DEMO_COURSE)
    )
    if course_id is None:
        return

    def badge(name: str, description: str, rule: dict[str, object]) -> BadgeIn:
        return BadgeIn.model_validate({"name": name, "description": description, "rule": rule})

    finisher = badges.create(
        db,
        instructor,
        badge(
            "Cell sprinter",
            "Reached the target of the Cell sprint.",
            {"type": "challenge_completed"},
        ),
    )
    badges.create(
        db,
        instructor,
        badge(
            "Cell biologist",
            "Completed every lesson of How cells work.",
            {"type": "course_completed", "course_id": str(course_id)},
        ),
    )
    badges.create(
        db,
        instructor,
        badge(
            "Three in a row", "Learned three days running.", {"type": "streak_days", "threshold": 3}
        ),
    )
    badges.create(
        db, instructor, badge("First hundred", "Earned 100 XP.", {"type": "xp", "threshold": 100})
    )
    now = datetime.now(UTC)
    challenges.create(
        db,
        instructor,
        ChallengeIn(
            title=DEMO_CHALLENGE,
            description="Complete four lessons of How cells work in 30 days.",
            difficulty="easy",
            starts_at=now,
            ends_at=now + timedelta(days=30),
            metric="lessons_completed",
            course_id=course_id,
            target=4,
            badge_id=finisher.id,
        ),
    )


def seed(db: Session) -> list[str]:
    """Create what is missing: demo accounts, then the demo course and question bank,
    then the demo team and its subscription."""
    created = []
    for email, name, role in DEMO_ACCOUNTS:
        if db.scalar(select(User.id).where(User.email == email)) is None:
            create_account(db, email=email, name=name, password=DEMO_PASSWORD, role=role)
            created.append(email)
    db.commit()
    instructor_id = db.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[1][0]))
    if instructor_id and not db.scalar(select(exists().where(Course.owner_id == instructor_id))):
        # The seed acts as the instructor directly; there is no session behind it.
        acting = Principal(instructor_id, UserRole.instructor, token_hash="")
        _seed_course(db, acting)
        created.append(DEMO_COURSE)
    admin_id = db.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0][0]))
    if instructor_id and not db.scalar(
        select(exists().where(Team.created_by == instructor_id, Team.name == DEMO_TEAM))
    ):
        _seed_team(db, Principal(instructor_id, UserRole.instructor, token_hash=""), admin_id)
        created.append(DEMO_TEAM)
    from lectern.challenges.models import Challenge

    if instructor_id and not db.scalar(select(exists().where(Challenge.title == DEMO_CHALLENGE))):
        acting = Principal(instructor_id, UserRole.instructor, token_hash="")
        _seed_challenge_and_badges(db, acting)
        created.append(DEMO_CHALLENGE)
    return created
