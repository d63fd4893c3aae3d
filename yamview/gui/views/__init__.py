"""One module per view. Views are touched only on the GUI thread."""
