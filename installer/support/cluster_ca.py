"""The cluster's CA as the site's own kubeconfig names it (k3s writes it into k3s.yaml): sent
with a support session that allows the Kubernetes API, so the vendor's kubeconfig checks the
API server's certificate instead of trusting whatever answers on the forwarded port."""

from __future__ import annotations

import base64
import binascii

import yaml
from cryptography import x509

from installer.errors import AirliftError
from installer.host import Host
from installer.runtime.k3s_files import K3sPaths


def cluster_ca(host: Host) -> str:
    """The PEM of the cluster's CA; AirliftError when the kubeconfig is missing or names none."""
    path = K3sPaths.of(host).kubeconfig
    try:
        doc = yaml.safe_load(path.read_text())
        data = doc["clusters"][0]["cluster"]["certificate-authority-data"]
        pem = base64.b64decode(data, validate=True)
        x509.load_pem_x509_certificate(pem)
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, binascii.Error, ValueError) as e:
        raise AirliftError(f"The cluster's CA cannot be read from {path} ({type(e).__name__}: {e})",
                           hint="support for the Kubernetes API needs the running cluster's kubeconfig; check "
                                "that k3s runs on this master, or open support without kube") from None
    return pem.decode()
