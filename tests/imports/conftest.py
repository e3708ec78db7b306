from pathlib import Path

import pytest

FIXTURES = Path("/work/shared/fixtures/imports")
_beside = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "imports"
if _beside.is_dir():
    FIXTURES = _beside


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
