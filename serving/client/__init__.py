"""A client for TF Serving's gRPC and REST APIs, and the printing of its answers."""
