"""Runs on disk: recording every console byte, reading it back, replaying it; saved console logs."""
