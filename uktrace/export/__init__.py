"""Runs written out for other tools: Perfetto, spreadsheets, JSON, asciinema, a Gantt chart.

`runs` turns the user's inputs (a recording, a bench, console logs, a saved JSON) into runs of
guests in the `uktrace run --json` shape; every format reads that shape and nothing else, so a
recording, a bench cell and a log export alike.
"""
