################################################################################
# Queue
################################################################################

output "queue_url" {
  description = "URL of the FIFO queue of order intents."
  value       = try(aws_sqs_queue.this[0].url, null)
}

output "queue_arn" {
  description = "ARN of the FIFO queue of order intents."
  value       = try(aws_sqs_queue.this[0].arn, null)
}

output "queue_name" {
  description = "Name of the FIFO queue."
  value       = try(aws_sqs_queue.this[0].name, null)
}

################################################################################
# Dead-letter queue
################################################################################

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].url, null)
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].name, null)
}

output "redrive_dead_letter_target_arn" {
  description = "DLQ ARN named by the queue's redrive policy (as applied)."
  value       = try(jsondecode(aws_sqs_queue_redrive_policy.this[0].redrive_policy).deadLetterTargetArn, null)
}

output "redrive_max_receive_count" {
  description = "Receives before a message moves to the DLQ (as applied)."
  value       = try(jsondecode(aws_sqs_queue_redrive_policy.this[0].redrive_policy).maxReceiveCount, null)
}
