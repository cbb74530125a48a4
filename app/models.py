"""Import every domain's models so that Base.metadata is complete (Alembic, tests)."""


def load_all() -> None:
    """Register all mapped classes on Base.metadata."""
    from app.auth import models as _auth  # noqa: F401
    from app.hr import models as _hr  # noqa: F401
    from app.leads import models as _leads  # noqa: F401
    from app.org import models as _org  # noqa: F401
    from app.planning import models as _planning  # noqa: F401
    from app.privacy import models as _privacy  # noqa: F401
    from app.sync import models as _sync  # noqa: F401
    from app.territories import models as _territories  # noqa: F401
    from app.visits import models as _visits  # noqa: F401
