# Keeps the project root importable (app.py, chalicelib, functions, infra) for every test run.
import os

# Structured request logs are noise in test output; tests that read them raise the level themselves.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
