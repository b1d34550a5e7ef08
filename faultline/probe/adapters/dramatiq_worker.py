"""What `dramatiq faultline.probe.adapters.dramatiq_worker` loads: the probed broker and actor, built
from the probe's settings (FAULTLINE_PROBE_DIR/dramatiq.json)."""

from faultline.probe.adapters.dramatiq import load_worker_broker

broker = load_worker_broker()
