"""The control panel: a browser front-end to the installed cluster, served over HTTPS on the first
master by the `airlift-panel` service.

It holds no install logic, as the wizard holds none: it reads what the engine reads
(installer.status, installer.status.history) and does day-two work through the cluster
controller's API with the admin token (installer.cluster_service.client), so the controller runs
it and records it whether or not a browser stays open.
"""

from panel.app import create_app

__all__ = ["create_app"]
