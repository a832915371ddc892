"""Airlift installer: everything that runs on the customer's hosts."""

__version__ = "0.1.0"
