"""`./install report`: one redacted archive an operator sends the vendor when something breaks.

collect.py gathers it (this node, the cluster through kubectl, the other nodes through their
agents), redact.py removes every secret, summary.py says what looks wrong, archive.py writes it.
"""
