"""Deploy: Nornir runs the rollout waves (runner), guarded by a lock and an audit log; the Nornir
task functions that touch devices are in ``deploy.tasks``."""
