"""What is deployed where: ARNs and the partition (``arns``), the documents rolecat writes (``policies``, ``delegation``)."""
