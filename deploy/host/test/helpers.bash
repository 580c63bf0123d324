# Shared set-up: a throwaway host directory and the fakes first on PATH.
setup_host() {
  HOST_DIR="$(mktemp -d)"
  export CHATOPS_DIR="$HOST_DIR/opt"
  export STATE_DIR="$HOST_DIR/state"
  export LOCK_FILE="$HOST_DIR/lock/redeploy.lock"
  export FAKE_LOG="$HOST_DIR/calls.log"
  export FAKE_STATE="$HOST_DIR/containers"
  export CHATOPS_REGISTRY="123456789012.dkr.ecr.eu-west-1.amazonaws.com"
  export CHATOPS_PROJECT="chatops"
  export AWS_REGION="eu-west-1"
  export HEALTH_POLL_SECONDS=0
  export HEALTH_TIMEOUT_SECONDS=5
  mkdir -p "$CHATOPS_DIR" "$FAKE_STATE"
  : >"$FAKE_LOG"
  echo "services: {}" >"$CHATOPS_DIR/compose.yaml"
  PATH="$BATS_TEST_DIRNAME/fakes:$PATH"
  export REDEPLOY="$BATS_TEST_DIRNAME/../bin/redeploy.sh"
  export REGISTRY_IMAGE="$CHATOPS_REGISTRY/chatops"
}

teardown_host() {
  rm -rf "$HOST_DIR"
}

# The image compose would start for a service now.
current_image() {
  grep -E "^$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')_IMAGE=" "$STATE_DIR/images.env" | cut -d= -f2-
}
