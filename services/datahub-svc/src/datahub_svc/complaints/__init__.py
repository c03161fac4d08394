"""The complaints library (投诉举报库): complaint-svc's events, complaint signals and agency pushes."""
