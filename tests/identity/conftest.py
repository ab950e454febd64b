"""Fixtures for the identity tests: fast password hashing, and a world per engine.

Password hashing uses argon2's smallest parameters in these tests (a test-only setting).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from identity_world import World, build_world

from db_fixtures import ENGINES
from openhaven.identity.passwords import PROFILE_ENV


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROFILE_ENV, "fast")
        yield


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROFILE_ENV, "fast")
        yield from build_world(request.param, tmp_path_factory.mktemp(f"identity-{request.param}"))
