"""Packing token ids into model inputs, and raw text to model inputs."""
