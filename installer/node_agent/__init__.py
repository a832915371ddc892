"""The agent: the installer binary on every other node, run as `./install join ADDR --token T`."""
