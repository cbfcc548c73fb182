"""The transports: TF Serving's gRPC services and REST API (JSON encoding included)."""
