"""The explorer: random fault plans per seed (plans), sweeps over seeds (sweep), shrinking (shrink),
on local processes or a Dask cluster (dask_backend)."""

from faultline.explore.plans import *  # noqa: F403
from faultline.explore.plans import __all__ as _plans
from faultline.explore.sweep import *  # noqa: F403
from faultline.explore.sweep import __all__ as _sweep
from faultline.explore.workloads import draw_workflow_plan, workflow_workload

__all__ = [*_plans, *_sweep, "draw_workflow_plan", "workflow_workload"]
