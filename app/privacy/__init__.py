"""Location is personal data: retention purge, access audit, the person's own export."""
