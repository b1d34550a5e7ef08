"""Faultline, the lab: the CLI, the explorer, the presentation of runs, the failure-mode catalog."""
