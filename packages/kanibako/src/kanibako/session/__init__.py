"""Session capabilities: each adds to the one ContainerSpec and to the teardown."""
