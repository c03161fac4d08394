"""Data quality (数据质量): rules per library, errors fed back to the providing department, scores."""
