"""pipeline package of albert-keras."""
