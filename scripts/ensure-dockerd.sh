#!/usr/bin/env bash
# Starts the Docker engine if it is not answering; tests and the demo need it.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl start docker
else
  # its own session: ending the job or terminal that started it must not take the engine down
  setsid nohup dockerd >/var/log/airlift-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "The Docker engine did not start; see /var/log/airlift-dockerd.log" >&2
exit 1
