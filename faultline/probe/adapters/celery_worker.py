"""What `celery -A faultline.probe.adapters.celery_worker worker` loads: the probed app, built from the
probe's settings (FAULTLINE_PROBE_DIR/celery.json)."""

from faultline.probe.adapters.celery import load_worker_app

app = load_worker_app()
