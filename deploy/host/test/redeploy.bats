#!/usr/bin/env bats
# redeploy.sh against fake docker and aws CLIs on PATH.
# Each bats test runs in its own subshell by design, so variables set in one never leak:
# shellcheck disable=SC2030,SC2031

load helpers

setup() { setup_host; }
teardown() { teardown_host; }

@test "deploys: logs in, pulls, starts the new image and waits until it is healthy" {
  run "$REDEPLOY" api v2
  [ "$status" -eq 0 ]
  [[ "$output" == *"deployed $REGISTRY_IMAGE-api:v2; api is healthy"* ]]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v2" ]
  run cat "$FAKE_LOG"
  [ "${lines[0]}" = "aws ecr get-login-password --region eu-west-1" ]
  [ "${lines[1]}" = "login" ]
  [ "${lines[2]}" = "pull-start $REGISTRY_IMAGE-api:v2" ]
  [ "${lines[4]}" = "up api $REGISTRY_IMAGE-api:v2" ]
}

@test "accepts an image digest" {
  digest="sha256:$(printf 'a%.0s' {1..64})"
  run "$REDEPLOY" bot "$digest"
  [ "$status" -eq 0 ]
  [ "$(current_image bot)" = "$REGISTRY_IMAGE-bot@$digest" ]
}

@test "a failed pull changes nothing and exits 3" {
  "$REDEPLOY" api v1
  export FAKE_PULL_FAIL=':v2$'
  run "$REDEPLOY" api v2
  [ "$status" -eq 3 ]
  [[ "$output" == *"could not pull $REGISTRY_IMAGE-api:v2; nothing changed"* ]]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  [ "$(grep -c '^up ' "$FAKE_LOG")" -eq 1 ]
}

@test "an unhealthy new container is rolled back to the previous version (exit 4)" {
  "$REDEPLOY" api v1
  export FAKE_UNHEALTHY=':v2$'
  run "$REDEPLOY" api v2
  [ "$status" -eq 4 ]
  [[ "$output" == *"was unhealthy; rolled back to $REGISTRY_IMAGE-api:v1"* ]]
  [[ "$output" == *"api | listening"* ]]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v1" ]
  run grep '^up ' "$FAKE_LOG"
  [ "${lines[1]}" = "up api $REGISTRY_IMAGE-api:v2" ]
  [ "${lines[2]}" = "up api $REGISTRY_IMAGE-api:v1" ]
}

@test "an unhealthy first deploy has nothing to return to (exit 4)" {
  export FAKE_UNHEALTHY=':v1$'
  run "$REDEPLOY" api v1
  [ "$status" -eq 4 ]
  [[ "$output" == *"no previous version to return to"* ]]
  [ -z "$(current_image api)" ]
}

@test "exits 5 when the rollback is unhealthy too" {
  "$REDEPLOY" api v1
  export FAKE_UNHEALTHY=':v[12]$'
  run "$REDEPLOY" api v2
  [ "$status" -eq 5 ]
}

@test "other services keep their images" {
  "$REDEPLOY" bot b1
  "$REDEPLOY" api v1
  [ "$(current_image bot)" = "$REGISTRY_IMAGE-bot:b1" ]
}

@test "refuses hostile arguments before calling anything (exit 2)" {
  for args in "api;reboot v1" "api \$(id)" "api v1&&rm" "-api v1" "API v1" "api .hidden"; do
    read -r -a argv <<<"$args"
    run "$REDEPLOY" "${argv[@]}"
    [ "$status" -eq 2 ]
  done
  run "$REDEPLOY" api "$(printf 'x%.0s' {1..129})"
  [ "$status" -eq 2 ]
  run "$REDEPLOY" api 'v1 v2'
  [ "$status" -eq 2 ]
  run "$REDEPLOY" api
  [ "$status" -eq 2 ]
  [ ! -s "$FAKE_LOG" ]
}

@test "two concurrent runs never interleave" {
  export FAKE_PULL_SLEEP=1
  "$REDEPLOY" api v1 >/dev/null &
  first=$!
  sleep 0.2
  "$REDEPLOY" api v2 >/dev/null &
  second=$!
  wait "$first"
  wait "$second"
  run grep -E '^(pull-start|pull-end|up) ' "$FAKE_LOG"
  [ "${lines[0]}" = "pull-start $REGISTRY_IMAGE-api:v1" ]
  [ "${lines[1]}" = "pull-end $REGISTRY_IMAGE-api:v1" ]
  [ "${lines[2]}" = "up api $REGISTRY_IMAGE-api:v1" ]
  [ "${lines[3]}" = "pull-start $REGISTRY_IMAGE-api:v2" ]
  [ "$(current_image api)" = "$REGISTRY_IMAGE-api:v2" ]
}

@test "gives up with exit 6 when another run holds the lock too long" {
  mkdir -p "$(dirname "$LOCK_FILE")"
  flock "$LOCK_FILE" sleep 3 &
  holder=$!
  sleep 0.3
  LOCK_WAIT_SECONDS=1 run "$REDEPLOY" api v1
  wait "$holder"
  [ "$status" -eq 6 ]
  [ ! -s "$FAKE_LOG" ]
}

@test "a service outside this host's compose profiles is recorded, not pulled or started" {
  export FAKE_SERVICES="api node-exporter" COMPOSE_PROFILES=""
  run "$REDEPLOY" bot b7
  [ "$status" -eq 0 ]
  [[ "$output" == *"bot does not run on this host (COMPOSE_PROFILES=); recorded $REGISTRY_IMAGE-bot:b7"* ]]
  [ "$(current_image bot)" = "$REGISTRY_IMAGE-bot:b7" ]
  [ "$(grep -c '^pull\|^up\|^login' "$FAKE_LOG")" -eq 0 ]
}
