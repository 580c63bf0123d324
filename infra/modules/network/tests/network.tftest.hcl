mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "chatops-test"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
}

run "two_zones_make_a_public_and_a_private_subnet_each" {
  command = apply

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "expected two public and two private subnets"
  }
  assert {
    condition     = toset([for subnet in aws_subnet.private : subnet.availability_zone]) == toset(["eu-west-1a", "eu-west-1b"])
    error_message = "the private subnets must be in both zones"
  }
  assert {
    condition     = length(distinct(concat([for s in aws_subnet.public : s.cidr_block], [for s in aws_subnet.private : s.cidr_block]))) == 4
    error_message = "subnet ranges must not overlap"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "nothing should get a public IP just by being in a public subnet"
  }
  assert {
    condition     = output.nat_gateway_count == 1 && length(aws_route.private_egress) == 2
    error_message = "a single NAT gateway should carry both private subnets"
  }
  assert {
    condition     = aws_flow_log.this[0].traffic_type == "REJECT" && aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 30
    error_message = "rejected traffic should be logged for 30 days"
  }
}

run "per_az_nat_gateways_keep_egress_when_a_zone_fails" {
  command = apply
  variables {
    nat_gateways = "per_az"
  }

  assert {
    condition     = output.nat_gateway_count == 2
    error_message = "expected one NAT gateway per zone"
  }
  assert {
    condition     = toset([for zone, route in aws_route.private_egress : route.nat_gateway_id == aws_nat_gateway.this[zone].id]) == toset([true])
    error_message = "each private subnet must leave through its own zone's NAT gateway"
  }
}

run "refuses_a_single_zone" {
  command = plan
  variables {
    availability_zones = ["eu-west-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "refuses_an_unknown_nat_mode" {
  command = plan
  variables {
    nat_gateways = "none"
  }
  expect_failures = [var.nat_gateways]
}
