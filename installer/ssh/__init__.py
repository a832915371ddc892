"""Reaching other hosts over SSH to make them nodes (paramiko).

known_hosts.py verifies host keys trust-on-first-use against the state directory's known_hosts;
session.py connects (key with optional passphrase, or password) and runs commands, copies files
and starts detached processes; provision.py copies the installer over and starts the agent,
removing what it copied when a step fails.
"""
