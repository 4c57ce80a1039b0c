################################################################################
# Default VPC and the dashboard's own subnets
################################################################################

data "aws_vpc" "default" {
  count = var.create ? 1 : 0

  default = true
}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Each subnet takes the zone at its own index (count.index) and zone names sort stably, so a zone AWS adds later changes nothing; pass availability_zones to pin them.
  count = var.create && length(var.availability_zones) == 0 ? 1 : 0

  state = "available"
}

locals {
  vpc_id   = try(data.aws_vpc.default[0].id, null)
  vpc_cidr = try(data.aws_vpc.default[0].cidr_block, "172.31.0.0/16")
  azs      = length(var.availability_zones) > 0 ? var.availability_zones : try(data.aws_availability_zones.available[0].names, [])
}

# Dedicated subnets, so the network ACL below governs the dashboard only and not the
# default subnets other workloads of the account may use. They use the default VPC's main
# route table, which routes to its internet gateway.
resource "aws_subnet" "this" {
  count = var.create ? length(var.subnet_cidrs) : 0

  vpc_id                  = local.vpc_id
  cidr_block              = var.subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index % length(local.azs)]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-${count.index}" })
}

################################################################################
# Network ACL (numbered rules, explicit deny, ephemeral ports for responses)
################################################################################

locals {
  listener_port = var.certificate_arn == null ? 80 : 443

  nacl_ingress = concat(
    [for i, cidr in var.allowed_cidrs : {
      rule_number = 100 + i, action = "allow", protocol = "tcp", cidr_block = cidr,
      from_port   = local.listener_port, to_port = local.listener_port
    }],
    # ALB <-> tasks across the two subnets, and their responses.
    [{ rule_number = 200, action = "allow", protocol = "tcp", cidr_block = local.vpc_cidr, from_port = 1024, to_port = 65535 }],
    # Responses to the tasks' outbound HTTPS (ECR, CloudWatch Logs, the API): Linux ephemeral range.
    [{ rule_number = 300, action = "allow", protocol = "tcp", cidr_block = "0.0.0.0/0", from_port = 32768, to_port = 65535 }],
    [{ rule_number = 900, action = "deny", protocol = "-1", cidr_block = "0.0.0.0/0", from_port = 0, to_port = 0 }],
  )

  nacl_egress = concat(
    # Outbound HTTPS from the tasks.
    [{ rule_number = 100, action = "allow", protocol = "tcp", cidr_block = "0.0.0.0/0", from_port = 443, to_port = 443 }],
    # ALB -> tasks across subnets, and the tasks' responses to the ALB.
    [{ rule_number = 200, action = "allow", protocol = "tcp", cidr_block = local.vpc_cidr, from_port = 1024, to_port = 65535 }],
    # Responses to clients, on their ephemeral ports.
    [for i, cidr in var.allowed_cidrs : {
      rule_number = 300 + i, action = "allow", protocol = "tcp", cidr_block = cidr, from_port = 1024, to_port = 65535
    }],
    [{ rule_number = 900, action = "deny", protocol = "-1", cidr_block = "0.0.0.0/0", from_port = 0, to_port = 0 }],
  )
}

resource "aws_network_acl" "this" {
  count = var.create ? 1 : 0

  vpc_id     = local.vpc_id
  subnet_ids = aws_subnet.this[*].id

  dynamic "ingress" {
    for_each = local.nacl_ingress
    content {
      rule_no    = ingress.value.rule_number
      action     = ingress.value.action
      protocol   = ingress.value.protocol
      cidr_block = ingress.value.cidr_block
      from_port  = ingress.value.from_port
      to_port    = ingress.value.to_port
    }
  }

  dynamic "egress" {
    for_each = local.nacl_egress
    content {
      rule_no    = egress.value.rule_number
      action     = egress.value.action
      protocol   = egress.value.protocol
      cidr_block = egress.value.cidr_block
      from_port  = egress.value.from_port
      to_port    = egress.value.to_port
    }
  }

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Security groups
################################################################################

resource "aws_security_group" "alb" {
  count = var.create ? 1 : 0

  name        = "${var.name}-alb"
  description = "Dashboard ALB: listener open to allowed_cidrs only."
  vpc_id      = local.vpc_id

  dynamic "ingress" {
    for_each = length(var.allowed_cidrs) > 0 ? [1] : []
    content {
      description = "Dashboard listener from allowed CIDRs"
      protocol    = "tcp"
      from_port   = local.listener_port
      to_port     = local.listener_port
      cidr_blocks = var.allowed_cidrs
    }
  }

  egress {
    description = "To the dashboard tasks"
    protocol    = "tcp"
    from_port   = var.container_port
    to_port     = var.container_port
    cidr_blocks = var.subnet_cidrs
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group" "task" {
  count = var.create ? 1 : 0

  name        = "${var.name}-task"
  description = "Dashboard tasks: reachable from the ALB only."
  vpc_id      = local.vpc_id

  ingress {
    description     = "From the ALB"
    protocol        = "tcp"
    from_port       = var.container_port
    to_port         = var.container_port
    security_groups = [aws_security_group.alb[0].id]
  }

  egress {
    description = "HTTPS to ECR, CloudWatch Logs and the HTTP API"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(var.tags, { Name = "${var.name}-task" })
}
