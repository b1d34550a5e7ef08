"""Presenting a run: the terminal timeline, the HTML report and SVG, traces, metrics, images."""
