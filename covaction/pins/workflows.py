"""The pin check's public names in one place (the modules beside this one do the work).

`github_yaml` reads YAML as GitHub does, `classify` judges one reference, `policy` applies
pin-allowlist and pin-rules, `scan` finds the references in workflow and action files, and
`refs` holds the values they exchange.
"""

from __future__ import annotations

from covaction.pins.classify import suggestion, version_comment_mismatch
from covaction.pins.github_yaml import MAX_DEPTH, MAX_EVENTS
from covaction.pins.policy import PinRule, allowlist_matches, parse_allowlist, parse_pin_rules
from covaction.pins.refs import ActionRef, Kind, PinSummary, Source, Verdict
from covaction.pins.scan import scan, scan_file, workflow_paths

__all__ = [
    "MAX_DEPTH",
    "MAX_EVENTS",
    "ActionRef",
    "Kind",
    "PinRule",
    "PinSummary",
    "Source",
    "Verdict",
    "allowlist_matches",
    "parse_allowlist",
    "parse_pin_rules",
    "scan",
    "scan_file",
    "suggestion",
    "version_comment_mismatch",
    "workflow_paths",
]
