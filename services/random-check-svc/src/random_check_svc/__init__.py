"""random-check-svc: Double random, one public (双随机、一公开): plans, draws of objects and inspectors, results."""
