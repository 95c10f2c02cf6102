"""Use cases: what the faces (web, API, CLI) and the worker ask the service to do."""
