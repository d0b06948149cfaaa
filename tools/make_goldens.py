#!/usr/bin/python3
"""Writes the golden test data in tests/data/ from PyTorch (Debian's python3-torch, CPU, float64):
one module per op family under tools/goldens/ (core.py -> golden_core.json, ...).

Run: /usr/bin/python3 tools/make_goldens.py [family ...]   (the python3 first on PATH may lack torch)
"""
import importlib
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldens  # noqa: E402

families = sys.argv[1:] or sorted(m.name for m in pkgutil.iter_modules(goldens.__path__) if m.name != "common")
for family in families:
    importlib.import_module(f"goldens.{family}")
