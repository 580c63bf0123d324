#!/usr/bin/env bash
# Leaves nothing of this build in the image: each host gets its own identity at first boot.
set -euo pipefail

apt-get -q -y autoremove --purge
apt-get -q -y clean
rm -rf /var/lib/apt/lists/* "${CHATOPS_STAGING:-/tmp/chatops}"

# Build-time credentials and identities.
rm -f /etc/ssh/ssh_host_*
rm -f /root/.ssh/authorized_keys /home/ubuntu/.ssh/authorized_keys
rm -f /root/.bash_history /home/ubuntu/.bash_history
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id

# cloud-init runs again on each new instance (it writes host.env from user data).
cloud-init clean --logs
journalctl --rotate
journalctl --vacuum-time=1s
