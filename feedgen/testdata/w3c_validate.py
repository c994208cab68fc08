"""Runs the W3C feed validator (github.com/w3c/feedvalidator, its src/
directory on sys.path) over the files named on the command line, each
followed by the URL it is served at, and prints one JSON object per file:
{"file", "errors": [...], "warnings": [...]}, each event as its text."""
import json
import sys

import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter

args = sys.argv[1:]
for path, url in zip(args[0::2], args[1::2]):
    with open(path, "rb") as f:
        data = f.read()
    try:
        events = feedvalidator.validateString(data, firstOccurrenceOnly=1, base=url)["loggedEvents"]
    except feedvalidator.logging.ValidationFailure as vf:
        events = [vf.event]
    errors = compatibility.A(events)
    warnings = [e for e in compatibility.AA(events) if e not in errors]
    print(json.dumps({
        "file": path,
        "errors": list(Formatter(errors)),
        "warnings": list(Formatter(warnings)),
        "warning_kinds": [type(e).__name__ for e in warnings],
    }))
