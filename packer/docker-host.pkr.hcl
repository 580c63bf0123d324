# The Docker host AMI: Ubuntu 24.04 LTS with Docker Engine and the compose plugin, the SSM agent,
# the AWS CLI, the ChatOps host runtime (deploy/: redeploy script, units, compose file, monitoring
# configuration) and basic hardening. infra/modules/docker-host finds the result by its name
# prefix and its Project and Role tags, owned by this account.
#
#   packer init packer && packer build -var project=chatops packer   (.github/workflows/ami.yml)

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.3"
    }
  }
}

variable "project" {
  type        = string
  default     = "chatops"
  description = "Project name: AMI name prefix and Project tag (what Terraform looks up)."
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

variable "source_ami_owner" {
  type        = string
  default     = "099720109477"
  description = "Account id of the base image's publisher (Canonical): never an image someone else named alike."
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key for the AMI's snapshot; empty: the account's default EBS key."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet to build in (needs outbound HTTPS); empty: the default VPC."
}

variable "git_sha" {
  type        = string
  default     = "unknown"
  description = "Commit the AMI was built from (a tag on the AMI)."
}

locals {
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())
  ami_name  = "${var.project}-docker-host-${local.timestamp}"
  tags = {
    Name      = local.ami_name
    Project   = var.project
    Role      = "docker-host"
    GitSha    = var.git_sha
    BaseImage = "{{ .SourceAMIName }}"
    BuiltBy   = "packer"
  }
}

source "amazon-ebs" "docker_host" {
  region          = var.region
  instance_type   = var.instance_type
  subnet_id       = var.subnet_id
  ami_name        = local.ami_name
  ami_description = "ChatOps Docker host (Ubuntu 24.04, Docker, compose, SSM agent, AWS CLI) built from ${var.git_sha}"

  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = [var.source_ami_owner]
    most_recent = true
  }

  # The build instance requires IMDSv2 too, and instances launched from the AMI default to it.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"

  encrypt_boot = true
  kms_key_id   = var.kms_key_id

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 20
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  # A temporary key and a security group open to this runner's address only, for the build.
  ssh_username                              = "ubuntu"
  temporary_security_group_source_public_ip = true

  tags          = local.tags
  snapshot_tags = local.tags
  # Not Role=docker-host: the build instance must never receive a redeploy command.
  run_tags = {
    Name    = "${var.project}-ami-build"
    Project = var.project
    Role    = "packer-build"
  }
}

build {
  sources = ["source.amazon-ebs.docker_host"]

  provisioner "shell" {
    inline = ["install -d -m 0755 /tmp/chatops /tmp/chatops/monitoring"]
  }

  # The host runtime, from this repository.
  provisioner "file" {
    sources     = ["${path.root}/../deploy/host/bin", "${path.root}/../deploy/host/systemd", "${path.root}/../deploy/compose.yaml", "${path.root}/../chatops.config.yaml"]
    destination = "/tmp/chatops/"
  }

  provisioner "file" {
    source      = "${path.root}/../deploy/monitoring/"
    destination = "/tmp/chatops/monitoring"
  }

  provisioner "shell" {
    execute_command  = "sudo -E bash '{{ .Path }}'"
    environment_vars = ["DEBIAN_FRONTEND=noninteractive", "CHATOPS_STAGING=/tmp/chatops"]
    scripts = [
      "${path.root}/scripts/base.sh",
      "${path.root}/scripts/docker.sh",
      "${path.root}/scripts/aws.sh",
      "${path.root}/scripts/chatops.sh",
      "${path.root}/scripts/harden.sh",
      "${path.root}/scripts/cleanup.sh",
    ]
  }

  # ami.yml reads the AMI id from here.
  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      ami_name = local.ami_name
      git_sha  = var.git_sha
    }
  }
}
