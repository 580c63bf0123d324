#!/usr/bin/env bash
# The ChatOps host runtime from this repository (uploaded to $CHATOPS_STAGING by the file
# provisioners): scripts, compose file, catalog, monitoring configuration and systemd units.
set -euo pipefail

: "${CHATOPS_STAGING:?CHATOPS_STAGING is not set}"

install -d -m 0755 /opt/chatops /opt/chatops/bin
install -m 0755 "$CHATOPS_STAGING"/bin/*.sh /opt/chatops/bin/
install -m 0644 "$CHATOPS_STAGING/compose.yaml" "$CHATOPS_STAGING/chatops.config.yaml" /opt/chatops/
cp -r "$CHATOPS_STAGING/monitoring" /opt/chatops/monitoring
chown -R root:root /opt/chatops
find /opt/chatops/monitoring -type d -exec chmod 0755 {} +
find /opt/chatops/monitoring -type f -exec chmod 0644 {} +

# Deployed versions (images.env) survive reboots; /etc/chatops/host.env is written by user data.
install -d -m 0750 /var/lib/chatops
install -d -m 0755 /etc/chatops

install -m 0644 "$CHATOPS_STAGING"/systemd/*.service "$CHATOPS_STAGING"/systemd/*.target /etc/systemd/system/
systemctl daemon-reload
systemctl enable chatops.target chatops-settings.service chatops-converge.service chatops-stack.service

# Every unit must parse: a typo here would only show at the first boot.
systemd-analyze verify /etc/systemd/system/chatops*.service /etc/systemd/system/chatops.target
