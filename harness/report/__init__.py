"""The certification report: its data model and the renderers (JSON, Markdown, HTML with sequence diagrams)."""
