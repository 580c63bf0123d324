#!/usr/bin/env bash
# The SSM agent (Run Command for redeploys, Session Manager instead of SSH) and the AWS CLI v2.
# Both are signed snaps from Canonical's store; Ubuntu's AWS images ship the agent already.
set -euo pipefail

if ! snap list amazon-ssm-agent >/dev/null 2>&1; then
  snap install amazon-ssm-agent --classic
fi
systemctl enable snap.amazon-ssm-agent.amazon-ssm-agent.service

if ! snap list aws-cli >/dev/null 2>&1; then
  snap install aws-cli --classic
fi
aws --version
