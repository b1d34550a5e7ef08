"""Workflows: a DAG of tasks whose runs are dispatched as their parents succeed (docs/12_workflows.md).

The rules live in this room, free of any world, and both worlds call them:

- `spec`:      the spec records (WorkflowSpec, TaskSpec) and `check_dag`, which refuses what can never run;
- `progress`:  a run's task states, the ids of runs and task jobs, which tasks become ready or can never
               start, and the run's outcome;
- `jobs`:      the job a task enqueues, as a fault plan shapes it;
- `processes`: the protocol generators: the dispatcher, the on-demand trigger and the periodic scheduler.

Each world keeps its runs port beside its queue and store, as every port lives in its world:
runtime/sim/runs.py (in memory) and runtime/real/runs.py (SQL); runtime/real/workflow_store.py keeps
the job service's specs and runs. The front doors live with their kind: the YAML reader
(faultline/workflow_yaml.py), the `faultline workflow` command (faultline/cli/workflow.py), the
/workflows routes (faultline/service/routes/workflows.py), the run tables and DAG drawings
(faultline/present/workflow_runs.py); the judges in invariants/workflows.py.
"""

from runtime.core.workflow.spec import TaskSpec, WorkflowError, WorkflowSpec

__all__ = ["TaskSpec", "WorkflowError", "WorkflowSpec"]
