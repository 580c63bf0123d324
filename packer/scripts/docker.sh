#!/usr/bin/env bash
# Docker Engine and the compose plugin from Docker's apt repository, its signing key checked
# against the fingerprint Docker publishes.
set -euo pipefail

readonly DOCKER_KEY_FINGERPRINT="9DC858229FC7DD38854AE2D88D81803C0EBFCD88"

install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /tmp/docker.asc
fingerprint="$(gpg --with-colons --show-keys /tmp/docker.asc | awk -F: '$1 == "fpr" { print $10; exit }')"
if [[ "$fingerprint" != "$DOCKER_KEY_FINGERPRINT" ]]; then
  echo "Docker's apt key has fingerprint $fingerprint, expected $DOCKER_KEY_FINGERPRINT" >&2
  exit 1
fi
gpg --dearmor --yes -o /etc/apt/keyrings/docker.gpg /tmp/docker.asc
chmod 0644 /etc/apt/keyrings/docker.gpg
rm -f /tmp/docker.asc

# shellcheck source=/dev/null # the image's own os-release
codename="$(. /etc/os-release && printf '%s' "$VERSION_CODENAME")"
arch="$(dpkg --print-architecture)"
printf 'deb [arch=%s signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu %s stable\n' \
  "$arch" "$codename" >/etc/apt/sources.list.d/docker.list

apt-get update -q
apt-get -q -y install --no-install-recommends \
  docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin

# Bounded local logs, containers kept running across daemon restarts, no privilege escalation
# inside containers, no userland proxy.
install -d -m 0755 /etc/docker
cat >/etc/docker/daemon.json <<'JSON'
{
  "log-driver": "local",
  "log-opts": { "max-size": "10m", "max-file": "5" },
  "live-restore": true,
  "no-new-privileges": true,
  "userland-proxy": false
}
JSON

systemctl enable docker.service containerd.service
systemctl restart docker.service
docker version --format 'Docker {{.Server.Version}}'
docker compose version
