"""Use cases the web UI and the JSON API share: approval policy, images, deliveries, channel
account settings. Both faces call these functions; neither keeps its own copy of the rules."""
