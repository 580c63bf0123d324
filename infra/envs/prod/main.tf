# Production: two API hosts in two availability zones behind the load balancer, one control host
# (the bot's gateway connection and the monitoring stack; the Auto Scaling group replaces it if it
# fails), a NAT gateway per zone. Staging and prod are meant for separate AWS accounts, so each
# creates its own GitHub OIDC provider and repositories.
module "environment" {
  source = "../../modules/environment"

  environment         = "prod"
  availability_zones  = var.availability_zones
  cidr_block          = "10.50.0.0/16"
  nat_gateways        = "per_az"
  github_repository   = var.github_repository
  certificate_arn     = var.certificate_arn
  ami_id              = var.ami_id
  deletion_protection = true

  host_groups = {
    app     = { instance_count = 2, load_balancer = true }
    control = { instance_count = 1, compose_profiles = ["control"] }
  }
}
