"""Security use cases: approvers who leave, mails that fail for good."""
