"""serving package of albert-keras."""
