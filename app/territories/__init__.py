"""Territories: WGS-84 (multi)polygons mapped to org nodes; validation; point → territory."""
