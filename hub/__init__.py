"""Airlift Hub: the vendor's server where bundles are published, promoted through channels and
downloaded. It may import installer modules (the bundle index format, TLS); the installer never
imports it."""
