"""Feeds and subscriptions: the public record of published items, feeds out of it, and private
subscriptions (tokened feeds, signed webhooks, email digests)."""
