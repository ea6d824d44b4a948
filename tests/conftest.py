from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def in_repo(monkeypatch):
    """Run with the repository as working directory, so ./checker.yaml is the one found."""
    monkeypatch.chdir(ROOT)
    return ROOT
