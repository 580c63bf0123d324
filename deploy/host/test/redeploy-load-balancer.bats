#!/usr/bin/env bats
# redeploy.sh on a host behind the load balancer: out of service (Auto Scaling standby, drained by
# the target group) while the service restarts, back in service once healthy there, against fake
# docker, aws and curl (the instance metadata service) on PATH.
# Each bats test runs in its own subshell by design, so variables set in one never leak:
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
  setup_host
  export CHATOPS_AUTO_SCALING_GROUP="chatops-staging-docker-host"
  export CHATOPS_TARGET_GROUP_ARN="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/chatops-staging-api/0123456789abcdef"
  export CHATOPS_LOAD_BALANCED_SERVICES="api"
  export FAKE_INSTANCE_ID="i-0123456789abcdef0"
  export LB_POLL_SECONDS=0
  printf InService >"$FAKE_STATE/lifecycle"
  # The host already runs v1, in service and healthy.
  "$REDEPLOY" api v1 >/dev/null
  : >"$FAKE_LOG"
}
teardown() { teardown_host; }

# The calls that matter to the load balancer, in order, one word each.
steps() {
  sed -nE \
    -e 's/^aws autoscaling (enter-standby|exit-standby).*/\1/p' \
    -e 's/^aws elbv2 describe-target-health.*/target?/p' \
    -e 's/^(pull-start|up|up-while-in-service) .*/\1/p' "$FAKE_LOG" | tr '\n' ' '
}

@test "takes the host out of service after the pull, restarts, and returns it once healthy in the target group" {
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [[ "$output" == *"deployed $REGISTRY_IMAGE-api:v2; api is healthy and i-0123456789abcdef0 is back in service"* ]]
  [ "$(steps)" = "pull-start enter-standby target? up exit-standby target? " ]
  grep -qx "aws autoscaling enter-standby --region eu-west-1 --auto-scaling-group-name $CHATOPS_AUTO_SCALING_GROUP --instance-ids i-0123456789abcdef0 --should-decrement-desired-capacity" "$FAKE_LOG"
  [ "$(cat "$FAKE_STATE/lifecycle")" = InService ]
  [ "$(cat "$FAKE_STATE/target")" = healthy ]
}

@test "the instance id comes from the metadata service with an IMDSv2 token" {
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  grep -q "^curl .*--request PUT http://169.254.169.254/latest/api/token" "$FAKE_LOG"
  grep -q "^curl .*X-aws-ec2-metadata-token: fake-imds-token http://169.254.169.254/latest/meta-data/instance-id" "$FAKE_LOG"
}

@test "restarts only once the target group has drained the host" {
  export FAKE_DRAIN_POLLS=3
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [ "$(steps)" = "pull-start enter-standby target? target? target? target? up exit-standby target? " ]
}

@test "moves on only once the target group reports the host healthy" {
  export FAKE_INITIAL_POLLS=2
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [ "$(steps)" = "pull-start enter-standby target? up exit-standby target? target? target? " ]
}

@test "a service not behind the load balancer restarts in service, as on any host" {
  run "$REDEPLOY" bot b2
  [ "$status" -eq 0 ]
  [ "$(grep -c "autoscaling\|elbv2\|^curl" "$FAKE_LOG")" -eq 0 ]
}

@test "unhealthy in its container: rolled back while still out of service, and left there (exit 4)" {
  export FAKE_UNHEALTHY=':v2$'
  run "$REDEPLOY" api v2
  [ "$status" -eq 4 ]
  [[ "$output" == *"was unhealthy; rolled back to $REGISTRY_IMAGE-api:v1; i-0123456789abcdef0 is left out of service (standby in $CHATOPS_AUTO_SCALING_GROUP)"* ]]
  [ "$(steps)" = "pull-start enter-standby target? up up " ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  [ "$(cat "$FAKE_STATE/lifecycle")" = Standby ]
}

@test "healthy in its container but not in the target group: out of service again, rolled back, left there (exit 7)" {
  export FAKE_LB_UNHEALTHY=':v2$'
  run "$REDEPLOY" api v2
  [ "$status" -eq 7 ]
  [[ "$output" == *"the target group reports i-0123456789abcdef0 unhealthy"* ]]
  [[ "$output" == *"was healthy but not in the target group; rolled back to $REGISTRY_IMAGE-api:v1; i-0123456789abcdef0 is left out of service"* ]]
  [ "$(steps)" = "pull-start enter-standby target? up exit-standby target? enter-standby target? up " ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  [ "$(cat "$FAKE_STATE/lifecycle")" = Standby ]
}

@test "gives up on a target group that never decides (exit 7)" {
  export FAKE_INITIAL_POLLS=100000 LB_HEALTH_TIMEOUT_SECONDS=1 LB_POLL_SECONDS=0.2
  run "$REDEPLOY" api v2
  [ "$status" -eq 7 ]
  [[ "$output" == *"gave up after 1s: the group reports InService, the target group initial"* ]]
  [ "$(cat "$FAKE_STATE/lifecycle")" = Standby ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
}

@test "a host left on standby by an earlier roll is restarted and returned to service" {
  printf Standby >"$FAKE_STATE/lifecycle"
  printf unused >"$FAKE_STATE/target"
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [[ "$output" == *"i-0123456789abcdef0 is already out of service (Standby)"* ]]
  [ "$(steps)" = "pull-start target? up exit-standby target? " ]
  [ "$(cat "$FAKE_STATE/lifecycle")" = InService ]
}

@test "the group refusing standby changes nothing (exit 8)" {
  export FAKE_STANDBY_FAIL=1
  run "$REDEPLOY" api v2
  [ "$status" -eq 8 ]
  [[ "$output" == *"refused to put i-0123456789abcdef0 on standby; nothing changed"* ]]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  [ "$(grep -c "^up " "$FAKE_LOG")" -eq 0 ]
}

@test "a host on its way out (terminating, detaching) is not touched (exit 8)" {
  printf Terminating:Wait >"$FAKE_STATE/lifecycle"
  run "$REDEPLOY" api v2
  [ "$status" -eq 8 ]
  [[ "$output" == *"i-0123456789abcdef0 is Terminating:Wait in $CHATOPS_AUTO_SCALING_GROUP, not InService; nothing changed"* ]]
  [ "$(grep -c "^up \|enter-standby" "$FAKE_LOG")" -eq 0 ]
}

@test "a launching host (converge at boot) restarts in place: it takes no traffic yet" {
  printf Pending >"$FAKE_STATE/lifecycle"
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [[ "$output" == *"i-0123456789abcdef0 is Pending (launching, not in service yet): restarting in place"* ]]
  [[ "$output" == *"deployed $REGISTRY_IMAGE-api:v2; api is healthy"* ]]
  [ "$(grep -c "standby" "$FAKE_LOG")" -eq 0 ]
}

@test "a metadata answer that is not an instance id stops it before anything changes (exit 2)" {
  export FAKE_INSTANCE_ID='i-1;reboot'
  run "$REDEPLOY" api v2
  [ "$status" -eq 2 ]
  [ "$(grep -c "^up \|autoscaling" "$FAKE_LOG")" -eq 0 ]
}

@test "no restart ever happens while the host is in service" {
  export FAKE_UNHEALTHY=':v3$'
  "$REDEPLOY" api v2
  run "$REDEPLOY" api v3
  [ "$status" -eq 4 ]
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [ "$(grep -c "^up-while-in-service" "$FAKE_LOG")" -eq 0 ]
}

@test "a host an earlier roll left on standby goes back into service first; then this one goes out" {
  printf 'i-0bbbbbbbbbbbbbbbb' >"$FAKE_STATE/standby-others"
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [[ "$output" == *"i-0bbbbbbbbbbbbbbbb was left out of service by an earlier roll: returning it to service first"* ]]
  [ "$(steps)" = "pull-start enter-standby exit-standby target? enter-standby target? up exit-standby target? " ]
  grep -qx "aws autoscaling exit-standby --region eu-west-1 --auto-scaling-group-name $CHATOPS_AUTO_SCALING_GROUP --instance-ids i-0bbbbbbbbbbbbbbbb" "$FAKE_LOG"
  [ ! -s "$FAKE_STATE/standby-others" ]
  [ "$(cat "$FAKE_STATE/lifecycle")" = InService ]
}

@test "a returned host the target group finds unhealthy keeps this one in service, unchanged (exit 8)" {
  printf 'i-0bbbbbbbbbbbbbbbb' >"$FAKE_STATE/standby-others"
  export FAKE_OTHER_UNHEALTHY=1
  run "$REDEPLOY" api v2
  [ "$status" -eq 8 ]
  [[ "$output" == *"the target group reports i-0bbbbbbbbbbbbbbbb unhealthy"* ]]
  [[ "$output" == *"refused to put i-0123456789abcdef0 on standby; nothing changed on i-0123456789abcdef0"* ]]
  [ "$(grep -c "^up " "$FAKE_LOG")" -eq 0 ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  [ "$(cat "$FAKE_STATE/lifecycle")" = InService ]
}
