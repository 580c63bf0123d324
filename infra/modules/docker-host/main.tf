data "aws_region" "current" {}

data "aws_ami" "docker_host" {
  count = var.ami_id == null ? 1 : 0

  owners      = var.ami_owners
  most_recent = true

  filter {
    name   = "name"
    values = ["${coalesce(var.ami_name_prefix, "${var.project}-docker-host-")}*"]
  }
  # The tags packer/docker-host.pkr.hcl puts on the AMIs it builds.
  filter {
    name   = "tag:Project"
    values = [var.project]
  }
  filter {
    name   = "tag:Role"
    values = ["docker-host"]
  }
  filter {
    name   = "state"
    values = ["available"]
  }
}

locals {
  ami_id     = coalesce(var.ami_id, try(data.aws_ami.docker_host[0].id, null))
  host_group = trimprefix(var.name, "${var.project}-${var.environment}-")
  host_tags = merge(var.tags, {
    Name        = var.name
    Project     = var.project
    Environment = var.environment
    # The API and the deploy workflow target hosts by Project + Environment + Role.
    Role      = "docker-host"
    HostGroup = local.host_group
  })
  alb_enabled = var.load_balancer != null
  # The target group forwards app_port: the API's.
  load_balanced_services = "api"
}

resource "aws_security_group" "host" {
  name        = "${var.name}-host"
  description = "Docker hosts of ${var.name}: no SSH (SSM Session Manager), the API from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-host" })
}

resource "aws_vpc_security_group_ingress_rule" "host_from_alb" {
  count = local.alb_enabled ? 1 : 0

  security_group_id            = aws_security_group.host.id
  description                  = "API from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb[0].id
}

# Egress: HTTPS (ECR, SSM, S3, Discord, GitHub) and HTTP (OS package mirrors for security updates).
resource "aws_vpc_security_group_egress_rule" "host" {
  for_each = { https = 443, http = 80 }

  security_group_id = aws_security_group.host.id
  description       = "${upper(each.key)} out"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_launch_template" "host" {
  name                   = var.name
  description            = "Docker host of ${var.environment} (${local.host_group}) from the Packer AMI"
  image_id               = local.ami_id
  instance_type          = var.instance_type
  update_default_version = true
  ebs_optimized          = true
  vpc_security_group_ids = [aws_security_group.host.id]
  # No key_name: there is no SSH. Shell access is SSM Session Manager, audited by CloudTrail.

  iam_instance_profile {
    name = var.instance_profile_name
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 1 keeps containers away from the instance role; 2 lets the API container use it.
    http_put_response_hop_limit = var.containers_use_instance_role ? 2 : 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    # The Ubuntu AMIs' root device.
    device_name = "/dev/sda1"
    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      kms_key_id            = var.ebs_kms_key_arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  user_data = base64encode(templatefile("${path.module}/templates/user-data.sh.tftpl", {
    project          = var.project
    environment      = var.environment
    host_group       = local.host_group
    registry         = var.registry
    region           = data.aws_region.current.name
    compose_profiles = join(",", var.compose_profiles)
    # redeploy.sh takes its host out of service (standby) while a service behind the load balancer restarts.
    load_balanced          = local.alb_enabled
    auto_scaling_group     = var.name
    target_group_arn       = local.alb_enabled ? aws_lb_target_group.api[0].arn : ""
    load_balanced_services = local.load_balanced_services
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = local.host_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.host_tags
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "hosts" {
  name = var.name
  # One below the count behind the load balancer: a redeploy puts one host on standby, decrementing
  # the desired capacity (never below the minimum) so the group does not launch a replacement.
  min_size                  = local.alb_enabled ? var.instance_count - 1 : var.instance_count
  desired_capacity          = var.instance_count
  max_size                  = var.instance_count * 2
  vpc_zone_identifier       = var.subnet_ids
  health_check_type         = local.alb_enabled ? "ELB" : "EC2"
  health_check_grace_period = 300
  target_group_arns         = local.alb_enabled ? [aws_lb_target_group.api[0].arn] : []
  # Spread over the zones, and replace a host whose zone comes back unbalanced.
  capacity_rebalance = false

  launch_template {
    id      = aws_launch_template.host.id
    version = aws_launch_template.host.latest_version
  }

  # A new AMI or launch template rolls through the group: new hosts first, old ones once healthy.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      instance_warmup        = 300
    }
  }

  dynamic "tag" {
    for_each = local.host_tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }
}

# --- optional load balancer -----------------------------------------------------------------

resource "aws_security_group" "alb" {
  count = local.alb_enabled ? 1 : 0

  name        = "${var.name}-alb"
  description = "Load balancer of ${var.name}: HTTPS (and HTTP redirected to it) in, the API out"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = local.alb_enabled ? {
    for pair in setproduct(["443", "80"], var.load_balancer.ingress_cidrs) : "${pair[0]} from ${pair[1]}" => { port = tonumber(pair[0]), cidr = pair[1] }
  } : {}

  security_group_id = aws_security_group.alb[0].id
  description       = each.value.port == 443 ? "HTTPS" : "HTTP, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "alb_to_hosts" {
  count = local.alb_enabled ? 1 : 0

  security_group_id            = aws_security_group.alb[0].id
  description                  = "API on the hosts"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.host.id
}

resource "aws_lb" "api" {
  count = local.alb_enabled ? 1 : 0

  name                       = substr(var.name, 0, 32)
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.load_balancer.subnet_ids
  security_groups            = [aws_security_group.alb[0].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.load_balancer.deletion_protection
  tags                       = var.tags
}

resource "aws_lb_target_group" "api" {
  count = local.alb_enabled ? 1 : 0

  name                 = substr("${var.name}-api", 0, 32)
  port                 = var.app_port
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.load_balancer.health_check_path
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
    timeout             = 5
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.alb_enabled ? 1 : 0

  load_balancer_arn = aws_lb.api[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.load_balancer.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api[0].arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  count = local.alb_enabled ? 1 : 0

  load_balancer_arn = aws_lb.api[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
