"""PyYAML's two loaders, libyaml's and the pure-Python fallback: the pin check runs on both."""

from __future__ import annotations

import yaml

LOADERS = {"libyaml": getattr(yaml, "CSafeLoader", None), "pure-python": yaml.SafeLoader}
