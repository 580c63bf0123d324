variable "name" {
  description = "Prefix of every resource name, e.g. chatops-staging."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "The VPC's IPv4 range; split into one public and one private subnet per availability zone."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be an IPv4 CIDR of /20 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over (at least two, so one AZ can fail)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }
}

variable "nat_gateways" {
  description = "\"single\" (one NAT gateway, cheaper; private subnets lose egress if its AZ fails) or \"per_az\" (one per zone)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_gateways)
    error_message = "nat_gateways must be \"single\" or \"per_az\"."
  }
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs (rejected traffic) in CloudWatch Logs; 0 turns them off."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be 0 or a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
