#!/usr/bin/env bats
# stack-up.sh against a fake docker on PATH.
# Each bats test runs in its own subshell by design, so variables set in one never leak:
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
  setup_host
  STACK="$BATS_TEST_DIRNAME/../bin/stack-up.sh"
  # shellcheck disable=SC2016 # compose's own interpolation syntax
  printf 'services:\n  api:\n    image: ${API_IMAGE:-x}\n  bot:\n    image: ${BOT_IMAGE:-x}\n  prometheus:\n    image: p:v1\n' >"$CHATOPS_DIR/compose.yaml"
  mkdir -p "$STATE_DIR"
}
teardown() { teardown_host; }

@test "starts this host's services, leaving stopped those never deployed" {
  export FAKE_SERVICES="api bot prometheus"
  echo "API_IMAGE=$REGISTRY_IMAGE-api:v7" >"$STATE_DIR/images.env"
  run "$STACK"
  [ "$status" -eq 0 ]
  [[ "$output" == *"not deployed yet, left stopped: bot"* ]]
  [[ "$output" == *"starting: api prometheus"* ]]
  grep -qx "up api $REGISTRY_IMAGE-api:v7" "$FAKE_LOG"
  grep -qx "up prometheus (static)" "$FAKE_LOG"
  [ "$(grep -c '^up bot' "$FAKE_LOG")" -eq 0 ]
}

@test "starts only what the host's profiles enable" {
  export FAKE_SERVICES="api"
  echo "API_IMAGE=$REGISTRY_IMAGE-api:v7" >"$STATE_DIR/images.env"
  run "$STACK"
  [ "$status" -eq 0 ]
  [ "$(grep -c '^up' "$FAKE_LOG")" -eq 1 ]
}
