"""Question bank, exams, answers and learner performance.

``questions`` is the authors' bank, ``selection`` draws an exam's questions from it,
``exams`` runs an exam (answers, pause, resume, submit), ``exam_views`` assembles what
its learner sees of it, and ``performance`` reads the learner's counters. Schemas live
in ``schemas``.
"""
