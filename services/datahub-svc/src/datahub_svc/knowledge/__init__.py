"""The knowledge base (知识库): laws, cases, plans, rules and risk features."""
