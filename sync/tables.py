"""Which tables sync, and which of their columns the triggers version for merges."""

from __future__ import annotations

# Columns whose last-change version the triggers track, per synced table (merge input).
TRACKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("name", "contact_person", "phone", "address", "stage", "lat", "lon", "owner_id"),
    "visits": ("notes", "outcome", "next_step", "checked_out_at"),
    "visit_photos": (),
    "territories": (),
    "staff": (),
    "route_plans": (),  # triggers created by migration 0006
}
