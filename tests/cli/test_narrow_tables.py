"""At 80 columns the command line keeps whole what a user must type (issue 35): device names
and dials in `dermalase devices`, quantity and input names in the uncertainty tables."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from rich.console import Console

from dermalase.cli.main import INTERVAL_KEYS, _interval_table
from dermalase.devices import catalogue
from dermalase.sweep.uncertainty import input_names


def test_devices_at_80_columns_shows_every_name_and_dial_whole():
    env = dict(os.environ, COLUMNS="80")
    r = subprocess.run([sys.executable, "-m", "dermalase", "devices"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = {w for line in lines for w in line.split()}
    for name, device in catalogue().items():
        assert name in words, name
        for dial in device.settings:
            assert dial in words, (name, dial)


def test_the_interval_tables_at_80_columns_keep_every_key_whole():
    longest = max(input_names(), key=len)  # constants.necrosis_activation_energy
    spread = {"samples": 8,
              "intervals": {k: {"p5": 1.0, "p50": 2.0, "p95": 3.0} for k in INTERVAL_KEYS},
              "sensitivity": {k: [[longest, -0.5]] for k in INTERVAL_KEYS}}
    out = io.StringIO()
    Console(file=out, width=80).print(_interval_table(spread))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    words = {w for line in lines for w in line.split()}
    assert set(INTERVAL_KEYS) <= words and longest in words
