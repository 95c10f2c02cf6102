"""What the public sends in: newsletter sign-ups and activity suggestions."""
