"""The HTTP front door: the only package that knows about FastAPI."""
