"""HTTP face of the sync protocol engine in sync/: tables, scope, endpoints."""
