"""The real world's front doors: the HTTP job service (`faultline serve`), the worker pool
(`faultline worker`) and the drills that break them for real (`faultline drill`)."""
