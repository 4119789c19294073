"""The architecture holds: the write path and the catalog know no HTTP, each room's request path reads one
way (the import contracts in pyproject.toml), and the commands read the settings the web app reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import flask

from common import settings
from mapserver import create_app

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
PACKAGES = ("mapserver", "etl", "layers", "common")
HTTP = ("flask", "werkzeug", "flask_cors", "flask_limiter", "flask_wtf", "mapserver")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_every_import_contract_is_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_catch_the_write_path_importing_flask(tmp_path):
    """A copy of the tree where the ETL takes one Flask import breaks the first contract (the contracts are
    not vacuous: they see the packages and follow the imports)."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    errors = tmp_path / "etl" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom flask import current_app  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "1 broken" in result.stdout and "etl is not allowed to import flask" in result.stdout, result.stdout
    assert "etl.errors -> flask" in result.stdout


def test_importing_the_write_path_loads_no_web_module():
    """At run time too, through package __init__ files and imports inside functions' modules."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"for top in {list(PACKAGES[1:])!r}:\n"
        "    package = importlib.import_module(top)\n"
        "    for m in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        importlib.import_module(m.name)\n"
        f"print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in {list(HTTP)!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_app_keeps_flasks_own_instance_folder():
    app = create_app({"DATABASE_URL": "postgresql:///unused"})
    assert app.instance_path == app.auto_find_instance_path() == str(settings.instance_path())


def test_the_commands_read_the_settings_as_flask_would(tmp_path, monkeypatch):
    """Defaults, instance file, MAPSERVER_* (JSON or text, A__B nested), DATABASE_URL, then the overrides."""
    (tmp_path / "mapserver.toml").write_text('PAGE_LIMIT_MAX = 500\nMAP_ZOOM = 11\nlower_case = "ignored"\n')
    env = {"MAPSERVER_MAP_ZOOM": "12", "MAPSERVER_BASEMAP_URL": "http://tiles.example/{z}/{x}/{y}.png",
           "MAPSERVER_AREA_BBOX": "[106, 10, 107, 11]", "MAPSERVER_NESTED__KEY": "true",
           "DATABASE_URL": "postgresql://example/db"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    overrides = {"KEEP_VERSIONS": 2, "lowercase": 1}

    expected = flask.Config(str(tmp_path))
    expected.from_mapping(settings.DEFAULTS)
    expected.from_file("mapserver.toml", load=tomllib.load, text=False)
    expected.from_prefixed_env("MAPSERVER")
    expected["DATABASE_URL"] = env["DATABASE_URL"]
    expected.from_mapping(overrides)
    expected["AREA_BBOX"] = tuple(float(v) for v in expected["AREA_BBOX"])

    loaded = settings.load(overrides, tmp_path)
    assert loaded == dict(expected)
    assert (loaded["PAGE_LIMIT_MAX"], loaded["MAP_ZOOM"], loaded["NESTED"]) == (500, 12, {"KEY": True})
    assert loaded["AREA_BBOX"] == (106.0, 10.0, 107.0, 11.0) and "lowercase" not in loaded


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def test_the_example_settings_file_names_real_settings_at_their_defaults():
    """An operator starts from config.example.toml: a value there that is not the default changes the server
    without anyone deciding it (its upload list once left out the spreadsheets)."""
    with (ROOT / "config.example.toml").open("rb") as fh:
        example = tomllib.load(fh)
    assert set(example) <= set(settings.DEFAULTS)
    assert {k: v for k, v in example.items() if _plain(v) != _plain(settings.DEFAULTS[k])} == {}
