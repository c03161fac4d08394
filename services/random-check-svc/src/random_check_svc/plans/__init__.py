"""Check plans per department and year, and joint plans across departments (进一次门、查多项事)."""
