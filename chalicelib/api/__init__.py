"""HTTP layer: thin blueprints that parse, call one service and present."""
