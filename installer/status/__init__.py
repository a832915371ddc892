"""The three views of where things stand, each for its own reader:

    snapshot.py  the engine's live view during an install, for the CLI and the wizard
    install.py   `./install status`: the installed site read from the state directory
    cluster.py   its cluster part: nodes, day-two operations, join commands
    health.py    its health checks, as data
"""
