"""Study: flashcards and notes, scheduled for review with FSRS, and cards made from material."""
