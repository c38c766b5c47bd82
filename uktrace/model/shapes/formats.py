"""The version of each JSON output, written in its `format` field (docs/json.md: a field added is
no new version, a field renamed or removed is). Apart from the types so that a writer needs only
the number at run time."""

PARSE = 1
"""`parse --json`."""
RUN = 1
"""`run --json`, `replay --json`, a bench cell's `run`."""
RECORDING = 2
"""A recording's session.json and guest.json: 2 added host ready/release times, the kernel's
identity and symbols, and the session's host and QEMU; a recording without `format` is 1."""
RESULTS = 1
"""A bench's results.json."""
COMMANDS = 1
"""`compare --json`, `blame --json`, `recordings --json`."""
