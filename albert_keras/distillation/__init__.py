"""Cross-layer knowledge distillation from a larger ALBERT into a smaller one."""
