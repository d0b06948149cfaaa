#!/usr/bin/python3
"""Writes the golden test data in tests/data/ from PyTorch (Debian's python3-torch, CPU, float64):
one module per op family under tools/goldens/ (soft_argmax.py -> golden_soft_argmax.json, ...).

A family with a case table (its module defines compute()) takes its cases from the directory that
`ocellus_tests --write-op-cases DIR` wrote, named by OCELLUS_OP_CASES=DIR; `make goldens` does both.

Run: OCELLUS_OP_CASES=DIR /usr/bin/python3 tools/make_goldens.py [family ...]
(the python3 first on PATH may lack torch)
"""
import importlib
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldens  # noqa: E402
from goldens.common import write_table_goldens  # noqa: E402

families = sys.argv[1:] or sorted(m.name for m in pkgutil.iter_modules(goldens.__path__) if m.name != "common")
for family in families:
    module = importlib.import_module(f"goldens.{family}")  # a module without compute() writes its file here
    if hasattr(module, "compute"):
        cases_dir = os.environ.get("OCELLUS_OP_CASES")
        if not cases_dir:
            sys.exit(f"make_goldens: {family} has a case table: set OCELLUS_OP_CASES (or run `make goldens`)")
        write_table_goldens(family, module.compute, cases_dir)
