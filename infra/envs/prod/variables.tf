variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "availability_zones" {
  description = "Two (or more) availability zones of the region."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]
}

variable "github_repository" {
  description = "owner/name of this repository (the deploy role trusts its workflows only)."
  type        = string
  default     = "acme/chatops"
}

variable "certificate_arn" {
  description = "ACM certificate of the API's hostname in this environment."
  type        = string
}

variable "ami_id" {
  description = "Pin the hosts' AMI (null: the newest Packer-built one)."
  type        = string
  default     = null
}
