"""Pure geospatial logic: datums, distances, spoof checks, route planning (no Flask/SQLAlchemy)."""
