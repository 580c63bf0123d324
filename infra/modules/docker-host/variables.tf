variable "name" {
  description = "Name of this host group's resources, e.g. chatops-prod-app."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "project" {
  description = "Project name: the Project tag (the API finds hosts by it) and CHATOPS_PROJECT on the host."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "environment" {
  description = "Environment name: the Environment tag and CHATOPS_ENVIRONMENT on the host."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$", var.environment))
    error_message = "environment must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the hosts are spread over (one per availability zone)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "instance_count" {
  description = "How many hosts the Auto Scaling group keeps running."
  type        = number

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 20 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 20."
  }
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "t3.small"
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted gp3 root volume (images, logs, Prometheus data)."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size_gb >= 20 && var.root_volume_size_gb <= 1000
    error_message = "root_volume_size_gb must be between 20 and 1000."
  }
}

variable "ebs_kms_key_arn" {
  description = "KMS key for the root volume; null uses the account's default EBS key (still encrypted)."
  type        = string
  default     = null
}

variable "ami_id" {
  description = "Pin an AMI (e.g. the one staging was tested on); null takes the newest AMI matching ami_name_prefix and the tags."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0."
  }
}

variable "ami_name_prefix" {
  description = "Name prefix of the Packer-built AMIs (packer/docker-host.pkr.hcl names them <project>-docker-host-<timestamp>)."
  type        = string
  default     = null
}

variable "ami_owners" {
  description = "Accounts whose AMIs may be used (\"self\" or account ids): never someone else's image with the right name."
  type        = list(string)
  default     = ["self"]

  validation {
    condition     = length(var.ami_owners) > 0 && alltrue([for owner in var.ami_owners : owner == "self" || can(regex("^[0-9]{12}$", owner))])
    error_message = "ami_owners must list \"self\" or 12-digit account ids (no aliases such as amazon or aws-marketplace)."
  }
}

variable "instance_profile_name" {
  description = "The hosts' instance profile (module iam)."
  type        = string
}

variable "registry" {
  description = "The ECR registry host the hosts pull from (CHATOPS_REGISTRY)."
  type        = string
}

variable "compose_profiles" {
  description = "Compose profiles this group runs besides the always-on services (api, node-exporter, cadvisor): \"control\" adds the bot and the monitoring stack, which must run on one host per environment."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for profile in var.compose_profiles : contains(["control"], profile)])
    error_message = "compose_profiles may only contain \"control\"."
  }
}

variable "containers_use_instance_role" {
  description = "Let containers reach the instance metadata service (hop limit 2) so the API uses the instance role for /redeploy and /status; false keeps the hop limit at 1."
  type        = bool
  default     = false
}

variable "app_port" {
  description = "The API's port on the host (compose publishes it); the load balancer's target."
  type        = number
  default     = 3000
}

variable "load_balancer" {
  description = "An internet-facing ALB in front of the API (GitHub and Alertmanager webhooks, health checks). null: none."
  type = object({
    subnet_ids          = list(string)
    certificate_arn     = string
    ingress_cidrs       = optional(list(string), ["0.0.0.0/0"])
    health_check_path   = optional(string, "/health/ready")
    deletion_protection = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.load_balancer == null || try(length(var.load_balancer.subnet_ids) >= 2, false)
    error_message = "load_balancer.subnet_ids must name public subnets in at least two availability zones."
  }

  validation {
    condition     = var.load_balancer == null || try(can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.load_balancer.certificate_arn)), false)
    error_message = "load_balancer.certificate_arn must be an ACM certificate ARN: the ALB serves HTTPS only."
  }
}

variable "tags" {
  description = "Tags added to every resource (and propagated to the instances and their volumes)."
  type        = map(string)
  default     = {}
}
