output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet ids, in the order of availability_zones (load balancers, NAT gateways)."
  value       = [for zone in var.availability_zones : aws_subnet.public[zone].id]
}

output "private_subnet_ids" {
  description = "Private subnet ids, in the order of availability_zones (Docker hosts)."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].id]
}

output "nat_gateway_count" {
  description = "How many NAT gateways carry the private subnets' egress."
  value       = length(aws_nat_gateway.this)
}

output "iam_policies" {
  description = "The identity policies this module writes (JSON), for the policy checks."
  value       = var.flow_log_retention_days > 0 ? { "${var.name}-flow-logs" = local.flow_logs_policy } : {}
}
