"""Exit statuses a worker uses to tell its supervisor why it stopped."""

# Asked to stop (SIGTERM, Ctrl-C) or orphaned: nothing went wrong.
EXIT_STOPPED = 0
# Replace me: a sync skill's thread is stuck past its timeout, or memory passed the ceiling.
EXIT_RECYCLE = 75
# The worker could not start: bad options, or a database it cannot open.
EXIT_CANNOT_START = 2
# The disk holding the workspace is full: restarting cannot help until space is freed.
EXIT_DISK_FULL = 74
