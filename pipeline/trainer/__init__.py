"""TFX Trainer modules (`run_fn`s) that call albert_keras's training code."""
