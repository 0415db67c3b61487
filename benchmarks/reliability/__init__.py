"""Reliability measurements: repeated real-process trials of what users do (concurrent starts, Ctrl-C)."""
