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
# Debian's amtool (0.25) predates discord_configs' webhook_url_file (0.28, what the hosts run):
# there it reads a copy naming the webhook inline instead; everything else is checked as it is.
config=alertmanager.yml
if amtool --version 2>&1 | grep -Eq 'version 0\.(2[0-7]|1[0-9])\.'; then
  copy=$(mktemp -d)
  trap 'rm -rf "$copy"' EXIT
  sed -E 's#webhook_url_file: .*#webhook_url: https://discord.com/api/webhooks/0/checked#' \
    alertmanager.yml >"$copy/alertmanager.yml"
  config="$copy/alertmanager.yml"
fi
amtool check-config "$config"

# Routing: alerts about the relay reach Discord past it as well; the watchdog goes to the API
# only; everything else to the API only.
route() {
  local expected=$1
  shift
  amtool config routes test --config.file="$config" --verify.receivers="$expected" "$@" 2>/dev/null ||
    {
      echo "alertmanager.yml routes $* to $(amtool config routes test --config.file="$config" "$@" 2>/dev/null), not $expected" >&2
      exit 1
    }
}
route relay-fallback,chatops alertname=AlertDeliveryBacklog relay=self service=api
route relay-fallback,chatops alertname=ApiDown relay=self service=api
route chatops alertname=Watchdog
route chatops alertname=NodeExporterDown severity=critical
