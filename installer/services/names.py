"""The names of the services an install sets up on a node, each spelled once: the status, the
uninstall and the hints that tell an operator what to restart all use these."""

CONTROLLER = "airlift-cluster"   # the cluster controller, on the first master
AGENT = "airlift-agent"          # the persistent agent, on every other node
PANEL = "airlift-panel"          # the control panel (HTTPS, the panel/ front-end), on the first master
REGISTRY = "airlift-registry"    # the local image registry
EXPORTER = "airlift-node-exporter"      # node_exporter, on every node
PROMETHEUS = "airlift-prometheus"        # on the first master
ALERTMANAGER = "airlift-alertmanager"    # on the first master
K3S_SERVER = "k3s"               # named as k3s's own units are
K3S_AGENT = "k3s-agent"

MONITORING = (ALERTMANAGER, PROMETHEUS, EXPORTER)
DAY_TWO = (PANEL, CONTROLLER, AGENT)    # they run the kept installer, so they stop before anything is removed
