"""The credit library (信用信息库): grades and list entries from credit-svc and other agencies."""
