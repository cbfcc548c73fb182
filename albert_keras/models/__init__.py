"""ALBERT encoder networks."""
