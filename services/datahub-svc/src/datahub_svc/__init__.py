"""datahub-svc: Data hub (监管数据中心): the eight libraries, ingestion, cleaning, linking, search and sharing."""
