################################################################################
# Load balancer
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:ALB access logs need a log bucket with an ELB-writable policy; the dashboard is read-only and reached from allowed_cidrs only.
  #checkov:skip=CKV_AWS_150:Deletion protection would block `make destroy` of this prototype.
  #checkov:skip=CKV2_AWS_28:WAF costs at least 5 USD a month plus rules; the listener is limited to allowed_cidrs by security group and network ACL.
  #checkov:skip=CKV2_AWS_20:HTTP is served only when no certificate_arn is given; with one, port 443 serves TLS 1.2+ and there is no port-80 listener.
  count = var.create ? 1 : 0

  name                       = substr(var.name, 0, 32)
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = aws_subnet.this[*].id
  drop_invalid_header_fields = true
  enable_deletion_protection = false

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; ALB to task is plain HTTP inside the VPC.
  count = var.create ? 1 : 0

  name        = substr("${var.name}-tg", 0, 32)
  port        = var.container_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = local.vpc_id

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

################################################################################
# Listeners: HTTPS when a certificate is given, else HTTP
################################################################################

resource "aws_lb_listener" "https" {
  count = var.create && var.certificate_arn != null ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP only when no certificate_arn is given (a prototype without a domain); reachable from allowed_cidrs only.
  #checkov:skip=CKV_AWS_103:No TLS on this listener; the HTTPS listener uses a TLS 1.2+ policy.
  count = var.create && var.certificate_arn == null ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }

  tags = var.tags
}
