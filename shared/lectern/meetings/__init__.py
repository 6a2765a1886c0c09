"""Live sessions: a learner asks a course's owner for a live session; the owner accepts
(a time and a link) or declines, the learner may cancel."""
