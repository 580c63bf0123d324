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
# the rollback failed too, 6 another redeploy held the lock too long, 7 healthy in its container
# but not in the load balancer's target group (rolled back, left out of service), 8 the host
# could not be taken out of or returned to service (the Auto Scaling group refused or timed out).
#
# Behind the load balancer (host.env names CHATOPS_AUTO_SCALING_GROUP and
# CHATOPS_TARGET_GROUP_ARN, and the service is in CHATOPS_LOAD_BALANCED_SERVICES), the restart
# happens out of service: after the pull the host enters Standby (the group deregisters it from
# the target group, which drains it), the service restarts, and the host exits Standby only once
# its container is healthy; the script then waits until the target group reports it healthy
# before it ends, so SSM (MaxConcurrency 1, MaxErrors 0) moves to the next host only then. A host
# that does not come back healthy is rolled back and left in Standby, and the command stops. A
# host already in Standby (a roll stopped or killed there) is restarted and returned to service;
# one left there holds the group's only place out of service, so the next roll returns it first.
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
# The target group drains for its deregistration delay (30 s) and needs two passing checks 15 s
# apart once registered again: the defaults leave room for both.
LB_DRAIN_TIMEOUT_SECONDS="${LB_DRAIN_TIMEOUT_SECONDS:-300}"
LB_HEALTH_TIMEOUT_SECONDS="${LB_HEALTH_TIMEOUT_SECONDS:-300}"
LB_POLL_SECONDS="${LB_POLL_SECONDS:-5}"
readonly INSTANCE_ID_PATTERN='^i-[0-9a-f]{8,17}$'

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

# --- the load balancer: out of service while restarting ------------------------------------------

behind_load_balancer=false
if [[ -n "${CHATOPS_TARGET_GROUP_ARN:-}" && " ${CHATOPS_LOAD_BALANCED_SERVICES:-} " == *" $service "* ]]; then
  behind_load_balancer=true
  : "${CHATOPS_AUTO_SCALING_GROUP:?CHATOPS_AUTO_SCALING_GROUP is not set (host.env names the target group)}"
fi

# This host's instance id: host.env may name it; otherwise the instance metadata service (IMDSv2).
instance_id() {
  if [[ -n "${CHATOPS_INSTANCE_ID:-}" ]]; then
    printf '%s' "$CHATOPS_INSTANCE_ID"
    return
  fi
  local token
  token="$(curl --silent --fail --max-time 5 --request PUT http://169.254.169.254/latest/api/token \
    --header 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl --silent --fail --max-time 5 --header "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/instance-id
}

# InService, Standby, Pending… of a host (default this one) in the group.
lifecycle_state() {
  aws autoscaling describe-auto-scaling-instances --region "$AWS_REGION" --instance-ids "${1:-$instance}" \
    --query 'AutoScalingInstances[0].LifecycleState' --output text
}

# healthy, unhealthy, initial, draining, unused (not registered)… as the target group sees a host.
target_state() {
  aws elbv2 describe-target-health --region "$AWS_REGION" --target-group-arn "$CHATOPS_TARGET_GROUP_ARN" \
    --targets "Id=${1:-$instance}" --query 'TargetHealthDescriptions[0].TargetHealth.State' --output text
}

enter_standby() {
  aws autoscaling enter-standby --region "$AWS_REGION" --auto-scaling-group-name "$CHATOPS_AUTO_SCALING_GROUP" \
    --instance-ids "$instance" --should-decrement-desired-capacity >/dev/null
}

# Waits until the group reports host $1 in state $2 and the target group one of the states in $3
# (a regex); 1 on timeout, or as soon as the target group finds a host in service unhealthy.
wait_for() {
  local host="$1" lifecycle="$2" target="$3" timeout="$4" deadline now_lifecycle now_target
  deadline=$((SECONDS + timeout))
  while :; do
    now_lifecycle="$(lifecycle_state "$host")" || now_lifecycle="unknown"
    now_target="$(target_state "$host")" || now_target="unknown"
    if [[ "$now_lifecycle" == "$lifecycle" && "$now_target" =~ ^($target)$ ]]; then return 0; fi
    if [[ "$now_target" == "unhealthy" && "$lifecycle" == "InService" ]]; then
      log "the target group reports $host unhealthy"
      return 1
    fi
    ((SECONDS < deadline)) || {
      log "gave up after ${timeout}s: the group reports $now_lifecycle, the target group $now_target"
      return 1
    }
    sleep "$LB_POLL_SECONDS"
  done
}

# The group's minimum keeps all hosts but one in service, so a host an earlier roll left on standby
# holds that one place and the group refuses this one. That host runs the version it was rolled
# back to: it returns to service first, and only once the target group finds it healthy does this
# one go (the roll reaches it later and updates it). 1 when there is none, or it is not healthy.
return_hosts_left_out() {
  local others other returned=1
  others="$(aws autoscaling describe-auto-scaling-groups --region "$AWS_REGION" \
    --auto-scaling-group-names "$CHATOPS_AUTO_SCALING_GROUP" \
    --query "AutoScalingGroups[0].Instances[?LifecycleState=='Standby'].InstanceId" --output text)" || return 1
  for other in $others; do
    [[ "$other" =~ $INSTANCE_ID_PATTERN && "$other" != "$instance" ]] || continue
    log "$other was left out of service by an earlier roll: returning it to service first"
    aws autoscaling exit-standby --region "$AWS_REGION" --auto-scaling-group-name "$CHATOPS_AUTO_SCALING_GROUP" \
      --instance-ids "$other" >/dev/null || return 1
    wait_for "$other" InService healthy "$LB_HEALTH_TIMEOUT_SECONDS" || return 1
    returned=0
  done
  return "$returned"
}

take_out_of_service() {
  local state
  state="$(lifecycle_state)" || fail 8 "could not read $instance's state in $CHATOPS_AUTO_SCALING_GROUP"
  case "$state" in
    InService)
      log "taking $instance out of service (standby in $CHATOPS_AUTO_SCALING_GROUP)"
      if ! enter_standby && ! { return_hosts_left_out && enter_standby; }; then
        fail 8 "$CHATOPS_AUTO_SCALING_GROUP refused to put $instance on standby; nothing changed on $instance"
      fi
      ;;
    Standby | EnteringStandby) log "$instance is already out of service ($state)" ;;
    # Launching (converge-on-boot on a new host): the group puts it in service itself once healthy.
    Pending | Pending:Wait | Pending:Proceed)
      log "$instance is $state (launching, not in service yet): restarting in place"
      behind_load_balancer=false
      return
      ;;
    *) fail 8 "$instance is $state in $CHATOPS_AUTO_SCALING_GROUP, not InService; nothing changed" ;;
  esac
  log "waiting for the target group to drain $instance"
  wait_for "$instance" Standby 'unused|None' "$LB_DRAIN_TIMEOUT_SECONDS" ||
    fail 8 "$instance did not leave the target group in ${LB_DRAIN_TIMEOUT_SECONDS}s; it is on standby and $service was not restarted"
}

# 0 once the host is in service and healthy in the target group; 1 when it is not.
return_to_service() {
  log "returning $instance to service"
  aws autoscaling exit-standby --region "$AWS_REGION" --auto-scaling-group-name "$CHATOPS_AUTO_SCALING_GROUP" \
    --instance-ids "$instance" >/dev/null || {
    log "$CHATOPS_AUTO_SCALING_GROUP refused to return $instance to service"
    return 1
  }
  log "waiting for the target group to report $instance healthy"
  wait_for "$instance" InService healthy "$LB_HEALTH_TIMEOUT_SECONDS"
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

left_out=""
if [[ "$behind_load_balancer" == true ]]; then
  instance="$(instance_id)" || fail 2 "could not read this host's instance id from the instance metadata service"
  [[ "$instance" =~ $INSTANCE_ID_PATTERN ]] || fail 2 "invalid instance id"
  take_out_of_service
  if [[ "$behind_load_balancer" == true ]]; then
    left_out="; $instance is left out of service (standby in $CHATOPS_AUTO_SCALING_GROUP)"
  fi
fi

set_image "$image"
log "starting $service"
failure_code=4
if start && wait_healthy; then
  if [[ "$behind_load_balancer" != true ]]; then
    log "deployed $image; $service is healthy"
    exit 0
  fi
  if return_to_service; then
    log "deployed $image; $service is healthy and $instance is back in service"
    exit 0
  fi
  # Healthy in its container but not through the load balancer (a port, a path, a security group):
  # out of service again before the rollback restarts it.
  failure_code=7
  log "$instance did not become healthy in the target group on $image"
  if [[ "$(lifecycle_state || echo unknown)" == InService ]]; then
    enter_standby && wait_for "$instance" Standby 'unused|None' "$LB_DRAIN_TIMEOUT_SECONDS" ||
      left_out="; $instance could not be taken out of service again: check $CHATOPS_AUTO_SCALING_GROUP"
  fi
else
  log "$service did not become healthy on $image"
  # The logs only explain the failure: not getting them must not stop the rollback.
  docker compose --file "$COMPOSE_FILE" --env-file "$images_env" logs --no-color --tail 50 "$service" >&2 ||
    log "could not read $service's logs"
fi

if [[ "$failure_code" -eq 7 ]]; then what="was healthy but not in the target group"; else what="was unhealthy"; fi
if [[ -z "$previous" ]]; then
  set_image ""
  fail "$failure_code" "$image $what and there is no previous version to return to$left_out"
fi
set_image "$previous"
log "rolling back to $previous"
if start && wait_healthy; then
  fail "$failure_code" "$image $what; rolled back to $previous$left_out"
fi
fail 5 "$image $what and the rollback to $previous did not become healthy either$left_out"
