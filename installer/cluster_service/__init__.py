"""Day two: the cluster controller on the first master, and the operations it runs after the
install (adding a node that joins, removing one). docs/multinode.md "Day two"."""
