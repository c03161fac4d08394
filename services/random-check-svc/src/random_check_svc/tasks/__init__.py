"""Check tasks per object and department: results against the inspection form, evidence, disclosure."""
