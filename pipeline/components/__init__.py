"""The pipeline's custom TFX components (Python-function components)."""
