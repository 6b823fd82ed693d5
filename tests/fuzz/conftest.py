"""The fuzz tier runs its own embedded stack (what it writes must not disturb the integration suite)."""
from tests.integration.conftest import admin, base_url, make_user, runtime  # noqa: F401 (fixtures)
