"""IPC between a parent and a forked child: pipe, socketpair and SCM_RIGHTS demos, a benchmark."""
