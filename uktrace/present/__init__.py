"""How figures and statuses read on a terminal: the Rich text, tables and styles that the command
line and the TUI both show, so a guest's status, a duration or a comparison looks the same in both.

Below both (the TUI never imports the command line); above the analysis it presents."""
