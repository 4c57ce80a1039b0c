################################################################################
# The paper account
#
# Opened once with initial_cash, so a new deployment can size its first orders. The provider
# creates the item with attribute_not_exists (an existing account is never overwritten) and
# ignore_changes keeps Terraform away from cash the account has earned or spent since.
################################################################################

resource "aws_dynamodb_table_item" "paper_account" {
  count = var.initial_cash == null ? 0 : 1

  table_name = module.tables.table_names["accounts"]
  hash_key   = "account_id"
  range_key  = "item"
  # The layout tradeloop_common.dal.trading opens an account with: buying power (available) and
  # reservations start at cash and 0; opening_cash is what reconciliation replays the ledger from.
  item = jsonencode({
    account_id   = { S = var.account_id_setting }
    item         = { S = "CASH" }
    cash         = { N = tostring(var.initial_cash) }
    available    = { N = tostring(var.initial_cash) }
    reserved     = { N = "0" }
    opening_cash = { N = tostring(var.initial_cash) }
    version      = { N = "0" }
  })

  lifecycle {
    ignore_changes = [item]

    precondition {
      condition     = var.initial_cash == null || try(var.initial_cash > 0, false)
      error_message = "initial_cash must be a positive amount (or null to open no account)."
    }
  }
}
