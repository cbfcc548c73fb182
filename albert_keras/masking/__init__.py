"""n-gram whole-word masking: static (numpy, offline) and dynamic (TF ops)."""
