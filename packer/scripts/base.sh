#!/usr/bin/env bash
# Base system: wait for cloud-init, apply every update, install what the host scripts use.
set -euo pipefail

# The first boot's cloud-init holds the apt lock; wait for it.
cloud-init status --wait >/dev/null

apt-get update -q
apt-get -q -y -o Dpkg::Options::=--force-confold dist-upgrade
apt-get -q -y install --no-install-recommends \
  ca-certificates curl gnupg jq unzip util-linux chrony unattended-upgrades apt-transport-https

# Amazon Time Sync Service (link-local, no internet needed).
cat >/etc/chrony/sources.d/amazon.sources <<'CHRONY'
server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4
CHRONY
systemctl enable chrony
