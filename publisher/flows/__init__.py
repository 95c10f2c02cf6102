"""Use cases: what the faces (web/, api/, cli) call; they call the domain explicitly, in order."""
