"""Shared test settings: the hypothesis profile used in CI and locally."""

import os

from hypothesis import HealthCheck, settings

# NOTE: no deadline: timing on a shared 2-core CI machine is not what these tests check.
settings.register_profile(
    "ci", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=30)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
