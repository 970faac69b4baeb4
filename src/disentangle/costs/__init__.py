"""The cost shifted to a locality, over the reimbursement regimes declared in knowledge/costs."""
