"""What is deployed where: ``deployment.py`` (the per-account answer every later stage reads),
``arns.py`` (the partition and every ARN), the documents rolecat writes (``policies``, ``delegation``)."""
