"""Task models: an ALBERT backbone plus heads and their losses."""
