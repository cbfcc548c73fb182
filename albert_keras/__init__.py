"""ALBERT in Keras 3."""
