from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
# Fixtures that start the local AWS emulator, or install packages into a fresh virtual environment (the CI
# recipes' `venv`, and the `checkout` pre-commit builds its hook from): a test that uses one is slow.
SLOW_FIXTURES = {"endpoint", "moto_endpoint", "venv", "checkout"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def in_repo(monkeypatch):
    """Run with the repository as working directory, so ./checker.yaml is the one found."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory):
    """Keep the per-user cache (expanded SAM templates) out of the real home directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield
