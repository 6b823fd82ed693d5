#!/usr/bin/env bash
# Print an interpreter for the project venv: Python 3.12 (the Lambda runtime) when available,
# else 3.13, else any python3 >= 3.11. pyenv shims are probed by running them, since a shim
# for an inactive version exists but fails.
for c in "${VS_PYTHON:-}" python3.12 "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python 2>/dev/null | tail -1)" \
         python3.13 "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python 2>/dev/null | tail -1)" python3; do
  [ -n "$c" ] || continue
  if "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    command -v "$c" 2>/dev/null || echo "$c"; exit 0
  fi
done
echo "no Python >= 3.11 with venv found" >&2; exit 1
