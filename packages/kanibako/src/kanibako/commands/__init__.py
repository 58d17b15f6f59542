"""One module per command (group); imported lazily by kanibako.cli."""
