"""joint-svc: Joint supervision (联合监管): approval linkage, lead forwarding, assistance, campaigns, disposal tasks."""
