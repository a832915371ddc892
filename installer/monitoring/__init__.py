"""Monitoring carried in the bundle: node_exporter on every node, Prometheus and Alertmanager on
the first master, and the alert rules Airlift ships.

Every program is a binary from the bundle (Debian's packages on the build machine), run as a
service like the registry, so nothing is fetched at install time. Prometheus and Alertmanager
listen on loopback only; each exporter serves TLS from the install's CA and admits one user whose
password is made per install, since it listens on the node's address for the first master to
scrape. Layout under `<state>/monitoring/` belongs to this package (paths.py).
"""
