"""Prefect flows that compose the tasks (benchmark grid, augmentation banks, reports, schedules) and the CLI.

Import ``flows.runtime`` before Prefect: it sets quiet, self-contained defaults for the embedded server.
"""
