"""The enforcement-personnel library (执法人员库): kept from auth-svc's inspector events and agency pushes."""
