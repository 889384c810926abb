"""What a run shows: the render context, the Markdown templates, escaping, annotations."""
