# Staging: one host running everything (the API behind the load balancer, the bot and the
# monitoring stack), one NAT gateway.
module "environment" {
  source = "../../modules/environment"

  environment        = "staging"
  availability_zones = var.availability_zones
  cidr_block         = "10.40.0.0/16"
  nat_gateways       = "single"
  github_repository  = var.github_repository
  certificate_arn    = var.certificate_arn
  ami_id             = var.ami_id
  # Staging is rebuilt freely.
  deletion_protection = false

  host_groups = {
    main = { instance_count = 1, compose_profiles = ["control"], load_balancer = true }
  }
}
