"""Third-party and key-enterprise data (第三方和重点企业数据): public opinion, production, monitoring."""
