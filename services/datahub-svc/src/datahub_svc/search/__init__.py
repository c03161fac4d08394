"""Search across the libraries (Chinese bigram full text, filters, facets) and the object profile."""
