mock_provider "aws" {
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:mock.fifo"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/mock.fifo"
    }
  }
}

run "every_queue_has_a_dlq" {
  # apply against the mock provider: the redrive policy is known only after the DLQ exists.
  command = apply

  assert {
    condition     = aws_sqs_queue.this[0].fifo_queue && aws_sqs_queue.dlq[0].fifo_queue
    error_message = "The queue and its DLQ are FIFO."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this[0].redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq[0].arn
    error_message = "The queue must redrive to its DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_policy.this[0].redrive_policy).maxReceiveCount == 5
    error_message = "Messages move to the DLQ after 5 receives."
  }

  assert {
    condition     = aws_sqs_queue.this[0].sqs_managed_sse_enabled && aws_sqs_queue.dlq[0].sqs_managed_sse_enabled
    error_message = "Both queues are encrypted (SSE-SQS)."
  }

  assert {
    condition     = aws_sqs_queue.this[0].name == "tradeloop-order-intents.fifo" && aws_sqs_queue.dlq[0].name == "tradeloop-order-intents-dlq.fifo"
    error_message = "Queue names follow docs/architecture.md."
  }
}
