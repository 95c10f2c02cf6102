"""The calendar and the posting plan: what is planned when, moving it, slots, rhythm, quiet
periods and the private iCal feed. Faces call these; nothing here imports publisher.web/api."""
