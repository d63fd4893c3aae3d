"""Code generated from TFLite schemas (not edited here)."""
