"""Reproducible benchmarks: `python -m bench.<name>`; each prints ratios against a same-run baseline."""

import os

# Benches run on throw-away local databases, PostgreSQL among them, where the settings refuse the
# public default secrets; they get bench-only ones (values already in the environment win).
for _name, _value in {"COOKIE_KEY": "clave-de-benchmark-para-firmar-cookies-0123456789",
                      "ADMIN_PASSWORD": "Benchmark-Admin-2026"}.items():
    os.environ.setdefault(_name, _value)
