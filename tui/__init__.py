"""The Textual TUI: a thin layer over uktrace's fleet model (`uktrace.model.guest.FleetView`).

`uktrace.tui.cli` is the console script; `run_app.RunApp` shows a run, `home_app` the home screen."""
