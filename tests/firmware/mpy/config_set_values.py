"""config.set_value on a default config, step by step.

stdin: a JSON list of steps [key, text, read]: set `key` from `text`, then,
when `read` names attributes, read them (one name: its value; several: a
list). Prints a JSON list: each step's answer (None or the error message),
followed by what it read.
"""

import json
import sys

import config

cfg, _ = config.load("/none.json")
out = []
for key, text, read in json.loads(sys.stdin.read()):
    out.append(config.set_value(cfg, key, text))
    if read:
        values = [getattr(cfg, name) for name in read]
        out.append(values[0] if len(values) == 1 else values)
print(json.dumps(out))
