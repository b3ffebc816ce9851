"""The Python tests' venv (py/.venv, made by scripts/setup from
py/requirements.txt): ctest runs the tests with /usr/bin/python3, and each
test that needs a PyPI package (confluent_kafka, psycopg, duckdb, …) calls
enter(__file__) before importing it, which runs the script again with the
venv's python."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, "py", ".venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")


def enter(script):
    """Re-runs `script` (with the same arguments) under the venv's python,
    unless this is that python already; a missing venv fails the test."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PYTHON):
        print("FAIL %s: run scripts/setup (creates it)\n0 passed, 1 failed" % VENV_PYTHON)
        sys.exit(1)
    os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(script)] + sys.argv[1:])
