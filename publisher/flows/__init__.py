"""Use cases: what a person's or the system's action sets off, called by the web, API and CLI."""
