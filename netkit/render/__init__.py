"""The rendering layer: the only code that knows about rich, colours and JSON formatting."""
