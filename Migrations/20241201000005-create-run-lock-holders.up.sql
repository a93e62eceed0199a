-- Who holds the rating lock (a session advisory lock): written by the run
-- that takes it, read by a run that finds it taken, to say which host and
-- process it waits for, and since when. A stale row is harmless: the lock
-- itself is the advisory lock, released when its session ends.
CREATE TABLE run_lock_holders (
    lock_name  text        PRIMARY KEY,
    host       text        NOT NULL,
    pid        integer     NOT NULL,
    command    text        NOT NULL,
    backend_pid integer    NOT NULL,
    since      timestamptz NOT NULL
);
