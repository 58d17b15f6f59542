"""The session path: capability modules that each add to one ContainerSpec and its teardown."""
