"""Exams: limited pauses in exam mode, XP paid once per learner and question, and the
hot paths: the question counters spread over shards, the answer's writes and the XP
award as functions (one call each), and finer statistics for the draw's filters.

Revision ID: 0007_exam_hot_paths
Revises: 0013_meetings
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_exam_hot_paths"
down_revision: str | None = "0018_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults of LECTERN_EXAM_MAX_PAUSES and LECTERN_EXAM_MAX_PAUSED_MINUTES, given to
# the exam-mode exams still running.
_PAUSES = 3
_PAUSED_SECONDS = 600
_SHARDS = 16  # lectern.assessment.models.QUESTION_STAT_SHARDS
_FILTER_COLUMNS = ("topic", "subject", "system")

# One ledger row per (learner, reason, source); only a new row changes the profile: XP,
# level = 1 + floor(sqrt(XP / 100)), the week's XP (weeks start on Monday, UTC) and the
# streak of UTC days. No row when it was awarded before (lectern.progress.xp.award_xp).
_AWARD_XP = """
CREATE FUNCTION award_xp(
    p_id uuid, p_user_id uuid, p_reason text, p_source_id uuid, p_amount integer,
    p_now timestamptz
) RETURNS TABLE (
    xp integer, level integer, weekly_xp integer, xp_week date, streak_days integer,
    leaderboard_visible boolean
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    today date := (p_now AT TIME ZONE 'UTC')::date;
    monday date := today - (extract(isodow FROM today)::integer - 1);
BEGIN
    IF p_amount <= 0 THEN
        RETURN;
    END IF;
    INSERT INTO xp_awards (id, user_id, reason, source_id, amount, awarded_at)
    VALUES (p_id, p_user_id, p_reason, p_source_id, p_amount, p_now)
    ON CONFLICT (user_id, reason, source_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- The row lock orders concurrent awards of one learner: each adds to the last.
    UPDATE profiles p SET
        xp = p.xp + p_amount,
        level = 1 + floor(sqrt((p.xp + p_amount)::numeric / 100))::integer,
        weekly_xp = CASE WHEN p.xp_week = monday THEN p.weekly_xp + p_amount
                         ELSE p_amount END,
        xp_week = monday,
        streak_days = CASE WHEN p.last_active_on = today THEN p.streak_days
                           WHEN p.last_active_on = today - 1 THEN p.streak_days + 1
                           ELSE 1 END,
        last_active_on = today
    WHERE p.user_id = p_user_id
    RETURNING p.xp, p.level, p.weekly_xp, p.xp_week, p.streak_days, p.leaderboard_visible
    INTO STRICT xp, level, weekly_xp, xp_week, streak_days, leaderboard_visible;
    RETURN NEXT;
END
$$
"""

# An answer's writes (lectern.assessment.exams.answer; the exam is locked and the answer
# graded before the call): the answer, unless the question has one (recorded = false,
# nothing else changes); the learner's and their topic's counters; XP for a right answer,
# once per learner and question; and last the learner's shard of the question's
# counters, the one row other learners share, so it is held the shortest time.
_RECORD_EXAM_ANSWER = """
CREATE FUNCTION record_exam_answer(
    p_answer_id uuid, p_exam_id uuid, p_question_id uuid, p_user_id uuid,
    p_option_ids uuid[], p_text text, p_correct boolean, p_topic text, p_shard integer,
    p_xp integer, p_award_id uuid, p_now timestamptz
) RETURNS TABLE (
    recorded boolean, xp integer, level integer, weekly_xp integer, xp_week date,
    streak_days integer, leaderboard_visible boolean
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c integer := p_correct::integer;
BEGIN
    INSERT INTO exam_answers (id, exam_id, question_id, option_ids, text, is_correct, answered_at)
    VALUES (p_answer_id, p_exam_id, p_question_id, p_option_ids, p_text, p_correct, p_now)
    ON CONFLICT (exam_id, question_id) DO NOTHING;
    recorded := FOUND;
    IF NOT recorded THEN
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO learner_stats AS s (user_id, answered, correct) VALUES (p_user_id, 1, c)
    ON CONFLICT (user_id) DO UPDATE SET answered = s.answered + 1, correct = s.correct + c;
    INSERT INTO learner_topic_stats AS s (user_id, topic, answered, correct)
    VALUES (p_user_id, p_topic, 1, c)
    ON CONFLICT (user_id, topic)
    DO UPDATE SET answered = s.answered + 1, correct = s.correct + c;
    IF p_correct THEN
        SELECT a.xp, a.level, a.weekly_xp, a.xp_week, a.streak_days, a.leaderboard_visible
        INTO xp, level, weekly_xp, xp_week, streak_days, leaderboard_visible
        FROM award_xp(p_award_id, p_user_id, 'correct_answer', p_question_id, p_xp, p_now) a;
    END IF;
    INSERT INTO question_stat_shards AS s (question_id, shard, answered, correct)
    VALUES (p_question_id, p_shard, 1, c)
    ON CONFLICT (question_id, shard)
    DO UPDATE SET answered = s.answered + 1, correct = s.correct + c;
    RETURN NEXT;
END
$$
"""


# An answer in one call (lectern.assessment.exams.answer): lock the exam (not found, not
# the caller's, not active or past its deadline: said so, nothing written); find the
# question in it; grade a choice answer as lectern.assessment.exams does a short one
# (the first rule it breaks is the verdict, and nothing is written); record it with
# record_exam_answer. A short answer comes back with its options, graded by the caller
# (its texts match whatever their case and spacing, as Python folds them), who then
# calls record_exam_answer in the same transaction, the exam still locked.
_ANSWER_EXAM_QUESTION = """
CREATE FUNCTION answer_exam_question(
    p_exam_id uuid, p_user_id uuid, p_question_id uuid, p_option_ids uuid[], p_text text,
    p_shard integer, p_xp_easy integer, p_xp_medium integer, p_xp_hard integer,
    p_answer_id uuid, p_award_id uuid, p_now timestamptz
) RETURNS TABLE (
    verdict text, mode text, quiz_id uuid, qtype text, difficulty text, topic text,
    explanation text, option_ids uuid[], option_texts text[], option_correct boolean[], correct boolean,
    xp integer, level integer, weekly_xp integer, xp_week date, streak_days integer,
    leaderboard_visible boolean
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    e record;
    q record;
    w record;
    chosen uuid[] := coalesce(p_option_ids, '{}');
    right_ids uuid[];
BEGIN
    SELECT x.user_id, x.mode, x.status, x.deadline_at, x.quiz_id INTO e
    FROM exams x WHERE x.id = p_exam_id FOR UPDATE;
    IF NOT FOUND OR e.user_id <> p_user_id THEN
        verdict := 'not_found';
        RETURN NEXT;
        RETURN;
    END IF;
    mode := e.mode::text;
    quiz_id := e.quiz_id;
    IF e.status <> 'active' OR (e.deadline_at IS NOT NULL AND e.deadline_at <= p_now) THEN
        verdict := 'not_active';
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT qq.id, qq.type, qq.difficulty, qq.topic, qq.explanation INTO q
    FROM exam_questions eq JOIN questions qq ON qq.id = eq.question_id
    WHERE eq.exam_id = p_exam_id AND eq.question_id = p_question_id;
    IF NOT FOUND THEN
        verdict := 'not_in_exam';
        RETURN NEXT;
        RETURN;
    END IF;
    qtype := q.type::text;
    difficulty := q.difficulty::text;
    topic := q.topic;
    explanation := q.explanation;
    SELECT array_agg(o.id ORDER BY o.position), array_agg(o.text ORDER BY o.position),
           array_agg(o.is_correct ORDER BY o.position)
    INTO option_ids, option_texts, option_correct
    FROM question_options o WHERE o.question_id = q.id;
    IF q.type = 'short_answer' THEN
        verdict := 'short_answer';
    ELSIF p_text IS NOT NULL THEN
        verdict := 'text_not_taken';
    ELSIF cardinality(chosen) = 0 THEN
        verdict := 'no_option';
    ELSIF (SELECT count(DISTINCT c) FROM unnest(chosen) AS c) <> cardinality(chosen) THEN
        verdict := 'option_twice';
    ELSIF NOT chosen <@ coalesce(option_ids, '{}') THEN
        verdict := 'not_an_option';
    ELSIF q.type IN ('single_choice', 'true_false') AND cardinality(chosen) <> 1 THEN
        verdict := 'one_option';
    END IF;
    IF verdict IS NOT NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    right_ids := ARRAY(SELECT t.id FROM unnest(option_ids, option_correct) AS t(id, ok)
                       WHERE t.ok);
    correct := chosen <@ right_ids AND right_ids <@ chosen;
    SELECT r.recorded, r.xp, r.level, r.weekly_xp, r.xp_week, r.streak_days,
           r.leaderboard_visible INTO w
    FROM record_exam_answer(
        p_answer_id, p_exam_id, q.id, p_user_id, chosen, NULL, correct, q.topic, p_shard,
        CASE q.difficulty WHEN 'easy' THEN p_xp_easy WHEN 'medium' THEN p_xp_medium
                          ELSE p_xp_hard END,
        p_award_id, p_now) AS r;
    verdict := CASE WHEN w.recorded THEN 'recorded' ELSE 'already_answered' END;
    xp := w.xp;
    level := w.level;
    weekly_xp := w.weekly_xp;
    xp_week := w.xp_week;
    streak_days := w.streak_days;
    leaderboard_visible := w.leaderboard_visible;
    RETURN NEXT;
END
$$
"""


def upgrade() -> None:
    op.add_column("exams", sa.Column("pauses_left", sa.Integer()))
    op.add_column("exams", sa.Column("pause_seconds_left", sa.Float()))
    op.add_column("exams", sa.Column("paused_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        op.f("ck_exams_pauses_left_not_negative"),
        "exams",
        "pauses_left IS NULL OR pauses_left >= 0",
    )
    op.create_check_constraint(
        op.f("ck_exams_pause_seconds_left_not_negative"),
        "exams",
        "pause_seconds_left IS NULL OR pause_seconds_left >= 0",
    )
    op.execute(
        f"UPDATE exams SET pauses_left = {_PAUSES}, pause_seconds_left = {_PAUSED_SECONDS}"  # noqa: S608 - constants
        " WHERE mode = 'exam' AND status <> 'completed'"
    )
    op.execute("UPDATE exams SET paused_at = now() WHERE status = 'paused'")
    # A correct answer's award named the answer; it names the question now, so a learner
    # is paid once per question. The first award of each (learner, question) is renamed;
    # later ones (paid before this) keep their answer and stay paid.
    op.execute(
        "UPDATE xp_awards x SET source_id = f.question_id"
        " FROM (SELECT DISTINCT ON (x.user_id, a.question_id) x.id, a.question_id"
        "       FROM xp_awards x JOIN exam_answers a ON a.id = x.source_id"
        "       WHERE x.reason = 'correct_answer'"
        "       ORDER BY x.user_id, a.question_id, x.awarded_at, x.id) f"
        " WHERE x.id = f.id"
    )
    op.create_table(
        "question_stat_shards",
        sa.Column("question_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_question_stat_shards_correct_within_answered"),
        ),
        sa.CheckConstraint(
            f"shard >= 0 AND shard < {_SHARDS}", name=op.f("ck_question_stat_shards_shard_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_stat_shards_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "shard", name=op.f("pk_question_stat_shards")),
    )
    op.execute(
        "INSERT INTO question_stat_shards (question_id, shard, answered, correct)"
        " SELECT question_id, 0, answered, correct FROM question_stats"
    )
    op.drop_table("question_stats")
    op.execute(_AWARD_XP)
    op.execute(_RECORD_EXAM_ANSWER)
    op.execute(_ANSWER_EXAM_QUESTION)
    # A draw picks its plan by the planner's estimate of the matching set; with the
    # default 100 most common values kept, a bank of more topics than that estimates
    # every other topic at the average, however few questions it has.
    for column in _FILTER_COLUMNS:
        op.execute(f"ALTER TABLE questions ALTER COLUMN {column} SET STATISTICS 1000")
        # And each with the difficulty, as pairs: a topic of hard questions only is not
        # a third easy, whatever the bank's mix.
        op.execute(
            f"CREATE STATISTICS questions_{column}_difficulty (mcv)"
            f" ON {column}, difficulty FROM questions"
        )


def downgrade() -> None:
    for column in _FILTER_COLUMNS:
        op.execute(f"DROP STATISTICS questions_{column}_difficulty")
        op.execute(f"ALTER TABLE questions ALTER COLUMN {column} SET STATISTICS -1")
    op.execute(
        "DROP FUNCTION answer_exam_question(uuid, uuid, uuid, uuid[], text, integer, integer,"
        " integer, integer, uuid, uuid, timestamptz)"
    )
    op.execute(
        "DROP FUNCTION record_exam_answer(uuid, uuid, uuid, uuid, uuid[], text, boolean, text,"
        " integer, integer, uuid, timestamptz)"
    )
    op.execute("DROP FUNCTION award_xp(uuid, uuid, text, uuid, integer, timestamptz)")
    op.create_table(
        "question_stats",
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_question_stats_correct_within_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_stats_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_question_stats")),
    )
    op.execute(
        "INSERT INTO question_stats (question_id, answered, correct)"
        " SELECT question_id, sum(answered), sum(correct) FROM question_stat_shards"
        " GROUP BY question_id"
    )
    op.drop_table("question_stat_shards")
    # Back to the answer: the learner's first correct answer to the question that no
    # other award names.
    op.execute(
        "UPDATE xp_awards x SET source_id = COALESCE(("
        "   SELECT a.id FROM exam_answers a JOIN exams e ON e.id = a.exam_id"
        "   WHERE e.user_id = x.user_id AND a.question_id = x.source_id AND a.is_correct"
        "   AND NOT EXISTS (SELECT 1 FROM xp_awards y WHERE y.user_id = x.user_id"
        "                   AND y.reason = x.reason AND y.source_id = a.id)"
        "   ORDER BY a.answered_at, a.id LIMIT 1), x.source_id)"
        " WHERE x.reason = 'correct_answer' AND x.source_id IN (SELECT id FROM questions)"
    )
    op.drop_constraint(op.f("ck_exams_pause_seconds_left_not_negative"), "exams", type_="check")
    op.drop_constraint(op.f("ck_exams_pauses_left_not_negative"), "exams", type_="check")
    op.drop_column("exams", "paused_at")
    op.drop_column("exams", "pause_seconds_left")
    op.drop_column("exams", "pauses_left")
