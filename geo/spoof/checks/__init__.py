"""The spoof checks, one small function each, grouped by the evidence they read."""
