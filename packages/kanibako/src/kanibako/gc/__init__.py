"""``kanibako gc``: disk accounting (:mod:`.holdings`) and the removal plan (:mod:`.plan`)."""
