from __future__ import annotations

import pytest

from tests.browser.conftest import browser, page  # noqa: F401 (browser fixtures)
from tests.sales.factories import DealFactory, PipelineFactory


@pytest.fixture
def pipeline(cast):
    return PipelineFactory(workspace=cast.workspace, name="Sales")


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("position"))


@pytest.fixture
def deal(cast, pipeline):
    return DealFactory(pipeline=pipeline, owner=cast.sales, name="Acme renewal")


@pytest.fixture
def security_log_flushable(transactional_db: None) -> None:
    """Kept for the tests that name it; tests/conftest.py makes every transactional flush work."""
