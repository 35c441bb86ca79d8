"""Fixtures for the Lightning callback tests."""

from __future__ import annotations

from _lightning_helpers import digits_loaders_data
import pytest


@pytest.fixture(scope="session")
def digits_loaders():
    return digits_loaders_data()
