#!/usr/bin/env bash
# Basic hardening. Access is by SSM Session Manager (audited), so SSH is turned off for good;
# security updates install themselves; the kernel refuses the usual network tricks.
set -euo pipefail

# SSH: disabled and masked from the next boot on (this build still runs over it).
systemctl disable ssh.service ssh.socket
systemctl mask ssh.service ssh.socket

# Security updates every day, without rebooting by themselves (the Auto Scaling group's instance
# refresh replaces hosts when a new AMI is built).
cat >/etc/apt/apt.conf.d/20auto-upgrades <<'APT'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
APT
systemctl enable unattended-upgrades.service

cat >/etc/sysctl.d/60-chatops-hardening.conf <<'SYSCTL'
# No source routing, redirects or martians.
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.log_martians = 1
net.ipv4.tcp_syncookies = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
# Kernel pointers and logs are root's business.
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
kernel.unprivileged_bpf_disabled = 1
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.suid_dumpable = 0
SYSCTL

# No core dumps (they could hold secrets read from /run/chatops).
install -d -m 0755 /etc/systemd/coredump.conf.d
printf '[Coredump]\nStorage=none\nProcessSizeMax=0\n' >/etc/systemd/coredump.conf.d/disable.conf
printf '* hard core 0\n' >/etc/security/limits.d/60-no-core.conf

# Persistent, bounded journal.
install -d -m 0755 /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=persistent\nSystemMaxUse=1G\n' >/etc/systemd/journald.conf.d/chatops.conf

# Nobody logs in with a password.
passwd -l root
passwd -l ubuntu
