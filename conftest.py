# Keeps the project root importable (app.py, chalicelib, functions, infra) for every test run.
