"""Challenges: time-boxed goals that learners join, scored by their activity."""
