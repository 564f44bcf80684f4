"""Output targets, one folder each; ``terraform/`` is the first.  A target reads the
``Catalog`` and its ``deploy.Deployment`` and returns files as text."""
