"""Keras 3 layers of ALBERT: embeddings, attention, feed-forward, heads."""
