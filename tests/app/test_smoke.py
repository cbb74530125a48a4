import subprocess
import sys
from pathlib import Path


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_the_app_does_not_import_the_postgresql_driver():
    """A server on SpatiaLite never loads psycopg (~10 MB of RSS a first pull has no room for):
    PostgreSQL-only code reaches the driver through SQLAlchemy's dialect."""
    code = (
        "import importlib, pkgutil, sys, app\n"
        "for module in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    importlib.import_module(module.name)\n"
        "drivers = {'psycopg', 'psycopg_binary'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in drivers))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
