pytest_plugins = ["svc_runtime.testing"]
