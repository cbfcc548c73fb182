"""Reading corpora and building ALBERT pretraining data (pairs, records, datasets)."""
