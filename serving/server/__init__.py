"""The model server: version management, servables, signatures, batching and warmup."""
