"""A new user's first day: platform rules before approval, deadlines that fit the slot,
approval states after publication, and paused accounts (issue 9, application side)."""
