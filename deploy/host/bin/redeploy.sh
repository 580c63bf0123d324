#!/usr/bin/env bash
# Converges one service on this Docker host to an image tag. The SSM Command document runs it
# with `service` and `imageTag` already checked by its allowedPattern; they are checked again
# here because nothing user-supplied may reach a shell unchecked.
#
#   redeploy.sh <service> <image-tag>
#
# Log in to ECR, pull, start the new container through docker compose, wait for its health
# check; if it does not become healthy, start the previous version again and exit non-zero.
# One redeploy at a time per host (flock). Exit codes: 0 deployed, 2 bad arguments or
# configuration, 3 pull failed (nothing changed), 4 unhealthy (rolled back), 5 unhealthy and
# the rollback failed too, 6 another redeploy held the lock too long.
set -euo pipefail

readonly SERVICE_PATTERN='^[a-z][a-z0-9-]{0,39}$'
readonly TAG_PATTERN='^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$'

CHATOPS_DIR="${CHATOPS_DIR:-/opt/chatops}"
COMPOSE_FILE="${COMPOSE_FILE:-$CHATOPS_DIR/compose.yaml}"
STATE_DIR="${STATE_DIR:-/var/lib/chatops}"
LOCK_FILE="${LOCK_FILE:-/run/lock/chatops-redeploy.lock}"
LOCK_WAIT_SECONDS="${LOCK_WAIT_SECONDS:-300}"
HEALTH_TIMEOUT_SECONDS="${HEALTH_TIMEOUT_SECONDS:-90}"
HEALTH_POLL_SECONDS="${HEALTH_POLL_SECONDS:-2}"

log() { printf '%s redeploy: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() {
  local code="$1"
  shift
  log "error: $*" >&2
  exit "$code"
}

[[ $# -eq 2 ]] || fail 2 "usage: redeploy.sh <service> <image-tag>"
service="$1"
tag="$2"
[[ "$service" =~ $SERVICE_PATTERN ]] || fail 2 "invalid service name"
[[ "$tag" =~ $TAG_PATTERN ]] || fail 2 "invalid image tag"
: "${CHATOPS_REGISTRY:?CHATOPS_REGISTRY (the ECR registry host) is not set}"
: "${CHATOPS_PROJECT:?CHATOPS_PROJECT is not set}"
: "${AWS_REGION:?AWS_REGION is not set}"
[[ -f "$COMPOSE_FILE" ]] || fail 2 "no compose file at $COMPOSE_FILE"

# The image reference: a tag or a digest of <registry>/<project>-<service>.
repository="$CHATOPS_REGISTRY/$CHATOPS_PROJECT-$service"
if [[ "$tag" == sha256:* ]]; then image="$repository@$tag"; else image="$repository:$tag"; fi

mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
if ! flock -w "$LOCK_WAIT_SECONDS" 9; then
  fail 6 "another redeploy held $LOCK_FILE for more than ${LOCK_WAIT_SECONDS}s"
fi
log "lock taken; $service -> $image"

# images.env holds the image of every service (SERVICE_IMAGE=…); compose reads it.
images_env="$STATE_DIR/images.env"
touch "$images_env"
variable="$(printf '%s' "$service" | tr 'a-z-' 'A-Z_')_IMAGE"
# awk rather than grep: "no line for this service yet" is a normal answer, not an error, while an
# unreadable file still fails the script.
previous="$(awk -v key="$variable" 'index($0, key "=") == 1 { value = substr($0, length(key) + 2) } END { print value }' "$images_env")"

set_image() {
  local value="$1" tmp
  tmp="$(mktemp "$STATE_DIR/images.env.XXXXXX")"
  awk -v key="$variable" 'index($0, key "=") != 1' "$images_env" >"$tmp"
  if [[ -n "$value" ]]; then printf '%s=%s\n' "$variable" "$value" >>"$tmp"; fi
  mv "$tmp" "$images_env"
}

start() {
  docker compose --file "$COMPOSE_FILE" --env-file "$images_env" up --detach --no-deps "$service"
}

# healthy within the timeout: 0; unhealthy or no verdict in time: 1.
wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT_SECONDS)) container status
  while ((SECONDS < deadline)); do
    container="$(docker compose --file "$COMPOSE_FILE" --env-file "$images_env" ps --quiet "$service")"
    status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$container" 2>/dev/null || echo missing)"
    case "$status" in
      healthy) return 0 ;;
      unhealthy) return 1 ;;
      none) fail 2 "$service has no health check in $COMPOSE_FILE" ;;
    esac
    sleep "$HEALTH_POLL_SECONDS"
  done
  return 1
}

# A service outside this host's compose profiles (the bot on an API-only host) is recorded, so the
# host knows the version if its profiles change, but not pulled or started.
host_services="$(docker compose --file "$COMPOSE_FILE" --env-file "$images_env" config --services)"
if ! grep -qx -- "$service" <<<"$host_services"; then
  set_image "$image"
  log "$service does not run on this host (COMPOSE_PROFILES=${COMPOSE_PROFILES:-}); recorded $image"
  exit 0
fi

log "logging in to $CHATOPS_REGISTRY"
aws ecr get-login-password --region "$AWS_REGION" |
  docker login --username AWS --password-stdin "$CHATOPS_REGISTRY" >/dev/null ||
  fail 3 "could not log in to $CHATOPS_REGISTRY"

log "pulling $image"
docker pull --quiet "$image" >/dev/null || fail 3 "could not pull $image; nothing changed"

set_image "$image"
log "starting $service"
if start && wait_healthy; then
  log "deployed $image; $service is healthy"
  exit 0
fi

log "$service did not become healthy on $image"
# The logs only explain the failure: not getting them must not stop the rollback.
docker compose --file "$COMPOSE_FILE" --env-file "$images_env" logs --no-color --tail 50 "$service" >&2 ||
  log "could not read $service's logs"
if [[ -z "$previous" ]]; then
  set_image ""
  fail 4 "$image is unhealthy and there is no previous version to return to"
fi
set_image "$previous"
log "rolling back to $previous"
if start && wait_healthy; then
  fail 4 "$image was unhealthy; rolled back to $previous"
fi
fail 5 "$image was unhealthy and the rollback to $previous did not become healthy either"
