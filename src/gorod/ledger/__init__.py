"""The public transparency log."""
