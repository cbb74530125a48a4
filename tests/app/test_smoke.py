import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def _loaded_in_a_fresh_interpreter(code: str, packages: set[str]) -> list[str]:
    """Run `code` in a new interpreter; which of `packages` it left imported."""
    code += (
        "\nimport json, sys\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & {packages!r})))\n"
    )
    done = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_app_does_not_import_the_postgresql_driver():
    """A server on SpatiaLite never loads psycopg (~10 MB of RSS a first pull has no room for):
    PostgreSQL-only code reaches the driver through SQLAlchemy's dialect."""
    code = (
        "import importlib, pkgutil, app\n"
        "for module in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    importlib.import_module(module.name)\n"
    )
    assert _loaded_in_a_fresh_interpreter(code, {"psycopg", "psycopg_binary"}) == []


def test_a_server_worker_does_not_load_the_migration_tools(tmp_path):
    """Alembic (10 MB of RSS) is for `flask db ...`: the app a worker builds leaves it out."""
    code = (
        "from pathlib import Path\n"
        "from app import create_app\n"
        "from app.auth.tokens import generate_keyset_json\n"
        "from app.config import Settings\n"
        f"settings = Settings(env='production', instance_path=Path({str(tmp_path)!r}), "
        f"database_url='sqlite:///{tmp_path}/w.db', jwt_keys=generate_keyset_json('k1'))\n"
        "create_app(settings.validated())\n"
    )
    loaded = _loaded_in_a_fresh_interpreter(code, {"alembic", "mako", "psycopg"})
    assert loaded == []
