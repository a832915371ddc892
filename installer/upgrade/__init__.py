"""Day two: moving an installed cluster to a newer bundle (`./install upgrade`) and back to the
version before the last upgrade (`./install rollback`). docs/contracts.md "Upgrade and rollback"."""
