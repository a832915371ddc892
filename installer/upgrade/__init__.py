"""`./install upgrade`: move an installed application to the version of a newer bundle.

    installed.py  what is installed, read from the state directory (the kept index, manifest,
                  resources, nodes and their saved facts)
    refusals.py   why this bundle may not upgrade this install (another application, not newer,
                  an operation running, a differential bundle on another base)
    versions.py   which of two application versions is newer
    diff.py       UpgradeDiff: everything that will change, before anything does
    images.py, documents.py, profiles.py   the parts of that diff
    render.py     the diff as text for the terminal
    run.py        the upgrade and rollback operations themselves
"""
