"""The team-lead map page: a Leaflet front end over /api/v1 (no server-side state of its own)."""
