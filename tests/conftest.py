from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
# Fixtures that start the local AWS emulator: a test that uses one is an end-to-end run, marked slow.
EMULATOR_FIXTURES = {"endpoint", "moto_endpoint"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
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
