"""Route plans for a rep's day (engine: geo.routing)."""
