#!/usr/bin/env bash
# Starts this host's compose services (those of its COMPOSE_PROFILES) after boot convergence. A
# deployed service (its image comes from images.env) that has no version yet is left stopped
# rather than started on a placeholder image; redeploy.sh starts it at its first deploy.
set -euo pipefail

CHATOPS_DIR="${CHATOPS_DIR:-/opt/chatops}"
COMPOSE_FILE="${COMPOSE_FILE:-$CHATOPS_DIR/compose.yaml}"
STATE_DIR="${STATE_DIR:-/var/lib/chatops}"
images_env="$STATE_DIR/images.env"

log() { printf '%s stack: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

mkdir -p "$STATE_DIR"
touch "$images_env"
compose() { docker compose --file "$COMPOSE_FILE" --env-file "$images_env" "$@"; }

start=()
waiting=()
while IFS= read -r service; do
  [[ -n "$service" ]] || continue
  variable="$(printf '%s' "$service" | tr 'a-z-' 'A-Z_')_IMAGE"
  if grep -q "\${$variable" "$COMPOSE_FILE" && ! grep -q "^$variable=" "$images_env"; then
    waiting+=("$service")
  else
    start+=("$service")
  fi
done < <(compose config --services)

if ((${#waiting[@]})); then log "not deployed yet, left stopped: ${waiting[*]}"; fi
if ((${#start[@]} == 0)); then
  log "nothing to start"
  exit 0
fi
log "starting: ${start[*]}"
compose up --detach --remove-orphans "${start[@]}"
