"""The WatermelonDB sync protocol engine: cursor, change sets, pushes. SQLAlchemy, no Flask."""
