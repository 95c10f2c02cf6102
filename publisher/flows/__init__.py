"""The use cases: what the faces (web, API, CLI, worker) call; they call the domain."""
