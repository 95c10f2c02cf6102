"""Reach: collection from the platforms, rollups, attribution, the Citatboks and reports."""
