"""The `uktrace` command line: subcommands, headless progress and tables, exit statuses."""
