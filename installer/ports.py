"""The ports Airlift listens on, each named once: the answers may move Airlift's own
(`wizard-port`, `agent-port`, `registry-port`, `api-port`, `panel-port`, `exporter-port`,
`monitoring-port`, `alertmanager-port`, `registry-metrics-port`); the rest are Kubernetes' own."""

WIZARD_PORT = 61009
AGENT_PORT = 3012       # where nodes join, and the cluster controller's agent API after the install
REGISTRY_PORT = 5000
API_PORT = 6443         # the Kubernetes API
PANEL_PORT = 32009      # the control panel, on the first master after the install
KUBELET_PORT = 10250
FLANNEL_VXLAN_PORT = 8472
ETCD_CLIENT_PORT = 2379  # embedded etcd: client and peer ports, open between masters only
ETCD_PEER_PORT = 2380
EXPORTER_PORT = 9100           # node_exporter on every node (TLS, basic auth), scraped by the first master
MONITORING_PORT = 9090         # Prometheus on the first master, loopback only
ALERTMANAGER_PORT = 9093       # Alertmanager on the first master, loopback only
REGISTRY_METRICS_PORT = 5001   # the registry's debug listener with its metrics, loopback only
