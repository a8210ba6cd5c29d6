"""Fixtures of the triage tests: one starter model per session (training takes about a second)."""

from __future__ import annotations

import pytest

from kesu.triage.core.model import TriageModel
from kesu.triage.core.train import Example, TrainConfig, load_starter, train_model


@pytest.fixture(scope="session")
def starter_examples() -> list[Example]:
    return load_starter()


@pytest.fixture(scope="session")
def starter_model(starter_examples: list[Example]) -> TriageModel:
    return train_model(starter_examples, config=TrainConfig(cv_folds=0), version="test-starter")
