output "autoscaling_group_name" {
  description = "The Auto Scaling group keeping instance_count hosts."
  value       = aws_autoscaling_group.hosts.name
}

output "instance_count" {
  description = "How many hosts the group keeps."
  value       = aws_autoscaling_group.hosts.desired_capacity
}

output "subnet_ids" {
  description = "The subnets (zones) the group spreads its hosts over."
  value       = tolist(aws_autoscaling_group.hosts.vpc_zone_identifier)
}

output "ami_id" {
  description = "The AMI the hosts are launched from."
  value       = local.ami_id
}

output "security_group_id" {
  description = "The hosts' security group."
  value       = aws_security_group.host.id
}

output "load_balancer_dns_name" {
  description = "The ALB's DNS name (point the API's hostname at it); null without a load balancer."
  value       = try(aws_lb.api[0].dns_name, null)
}

output "load_balancer_zone_id" {
  description = "The ALB's Route 53 zone id, for an alias record; null without a load balancer."
  value       = try(aws_lb.api[0].zone_id, null)
}

output "ingress_rules" {
  description = "Every ingress rule of the hosts' and the ALB's security groups, for the policy checks."
  value = concat(
    [for rule in aws_vpc_security_group_ingress_rule.host_from_alb : {
      name      = "${var.name} host: ${rule.description}", ip_protocol = rule.ip_protocol
      from_port = rule.from_port, to_port = rule.to_port, source = "the load balancer"
    }],
    [for rule in values(aws_vpc_security_group_ingress_rule.alb) : {
      name      = "${var.name} alb: ${rule.description}", ip_protocol = rule.ip_protocol
      from_port = rule.from_port, to_port = rule.to_port, source = rule.cidr_ipv4
    }],
  )
}

output "launch_template" {
  description = "The launch template's metadata options, key pair and volumes, for the policy checks."
  value = {
    (aws_launch_template.host.name) = {
      http_tokens   = aws_launch_template.host.metadata_options[0].http_tokens
      http_endpoint = aws_launch_template.host.metadata_options[0].http_endpoint
      key_name      = aws_launch_template.host.key_name
      block_devices = [for device in aws_launch_template.host.block_device_mappings : {
        device_name = device.device_name
        encrypted   = tobool(device.ebs[0].encrypted)
      }]
    }
  }
}
