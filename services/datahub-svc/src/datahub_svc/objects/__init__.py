"""The supervised-object library (监管对象基础信息库): six kinds, tags, lineage, merges."""
