"""credit-svc: Credit supervision (信用监管): records, grading into risk classes, red and black lists."""
