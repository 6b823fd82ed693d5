"""The embedded local runtime behind ``make dev`` and the integration tests."""
