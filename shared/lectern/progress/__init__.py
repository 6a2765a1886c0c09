"""Progress: enrollments, lesson completion, certificates, XP, streaks and leaderboards."""
