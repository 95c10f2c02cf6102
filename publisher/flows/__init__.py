"""Use cases: what a person or the worker does, called by the faces (web, API, CLI)."""
