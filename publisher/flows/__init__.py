"""The use cases, between the faces (web/, api/, cli) and the domain (drafts/, schedules/,
channels/).

Faces read input, call one flow and render; a flow calls the domain explicitly and in order, and
takes its collaborators (clock, mailer, notifier) as arguments. Nothing here registers itself on
import.
"""
