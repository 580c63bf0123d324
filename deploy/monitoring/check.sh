#!/usr/bin/env bash
# Checks the monitoring configuration with the tools that will load it: promtool (Prometheus
# config, rules and the rules' unit tests) and amtool (Alertmanager config).
set -euo pipefail
cd "$(dirname "$0")"

need() {
  command -v "$1" >/dev/null || {
    echo "$1 is not installed: apt-get install $2 (.ci/run installs it)" >&2
    exit 1
  }
}
need promtool prometheus
need amtool prometheus-alertmanager

promtool check config prometheus.yml
promtool check rules rules/*.yml
promtool test rules tests/*.test.yml
amtool check-config alertmanager.yml
