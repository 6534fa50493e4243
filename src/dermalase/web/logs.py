"""Structured logging: one JSON object per line on stderr. A request is logged by its route's
template (``/patients/{pid}``), its status, its time and the account id; never a name, a
query, a form or any other patient data (issue 32, item 16)."""

from __future__ import annotations

import json
import logging
import sys
import time

#: the attributes every LogRecord has; the rest were given as ``extra``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
               "level": record.levelname.lower(), "logger": record.name,
               "event": record.getMessage()}
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            out["error_type"] = record.exc_info[0].__name__
        return json.dumps(out, default=str)


def setup(level: int = logging.INFO) -> None:
    """The ``dermalase`` loggers as JSON lines on stderr (the server calls it once)."""
    root = logging.getLogger("dermalase")
    if any(isinstance(h.formatter, JSONFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


request_log = logging.getLogger("dermalase.web.request")
