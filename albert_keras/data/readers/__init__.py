"""Fine-tuning data readers: each turns a file into model inputs and labels."""
