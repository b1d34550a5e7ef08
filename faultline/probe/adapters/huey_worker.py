"""What `huey_consumer faultline.probe.adapters.huey_worker.huey` loads: the probed huey and its task,
built from the probe's settings (FAULTLINE_PROBE_DIR/huey.json)."""

from faultline.probe.adapters.huey import load_worker_huey

huey = load_worker_huey()
