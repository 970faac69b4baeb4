"""File -> Document: one ingestor per format, chosen by score; originals stored by sha256."""
