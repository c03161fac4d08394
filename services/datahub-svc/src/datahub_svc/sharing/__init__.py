"""Data sharing (数据共享): scoped, masked query and export of the libraries, with an append-only access log."""
