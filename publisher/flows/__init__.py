"""Use cases: what the faces (web, API, CLI) call; they call the domain."""
