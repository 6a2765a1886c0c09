"""Where analytics events are written and rolled up: the port, its adapter, the factory."""
